#!/usr/bin/python3
"""Merges Google Benchmark JSON runs of one suite into one run.

  merge_runs.py OUT.json FIRST.json MORE.json...

The context is FIRST's (the run's start, the machine); context.passes
lists each pass's benchmark count and command line. The benchmarks are
FIRST's, then each further file's, unchanged. OUT is written atomically
(a temporary file beside it, renamed). Exit: 0, 65 a file is not
benchmark JSON, 73 OUT cannot be written.
"""
import json
import os
import sys

EX_USAGE, EX_DATAERR, EX_CANTCREAT = 64, 65, 73


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("merge_runs: %s: %s" % (path, e), file=sys.stderr)
        sys.exit(EX_DATAERR)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"),
                                                   list):
        print("merge_runs: %s: not Google Benchmark JSON" % path,
              file=sys.stderr)
        sys.exit(EX_DATAERR)
    return doc


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return EX_USAGE
    out, paths = argv[0], argv[1:]
    docs = [load(p) for p in paths]
    merged = dict(docs[0])
    merged["context"] = dict(docs[0].get("context") or {})
    merged["context"]["passes"] = [
        {"benchmarks": len(d["benchmarks"]),
         "executable": (d.get("context") or {}).get("executable"),
         "date": (d.get("context") or {}).get("date")} for d in docs]
    merged["benchmarks"] = [b for d in docs for b in d["benchmarks"]]
    tmp = "%s.%d.tmp" % (out, os.getpid())
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(merged, f, indent=2)
            f.write("\n")
        os.replace(tmp, out)
    except OSError as e:
        print("merge_runs: cannot write %s: %s" % (out, e), file=sys.stderr)
        if os.path.exists(tmp):
            os.unlink(tmp)
        return EX_CANTCREAT
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
