"""scripts/compare: A vs B with verdicts (see scripts/compare --help and
docs/comparing.md).

Builds one report (a dict, what --json writes) and renders it: the default
text view (one table per family), Markdown, every metric row (--all),
Google Benchmark's compare.py (--compare-py) and a self-contained HTML page
(--html, html_report.py)."""
import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_text as T  # noqa: E402
import drift as D  # noqa: E402
import html_report  # noqa: E402
import results as R  # noqa: E402
import verdict as V  # noqa: E402

EX_REGRESSION, EX_USAGE, EX_DATAERR, EX_IOERR = 3, 64, 65, 74
GBENCH_COMPARE = "/usr/share/benchmark/compare.py"
# The metric a family's table shows (else time): what its users read.
PRIMARY = {"BM_Throughput": "bytes_per_second",
           "BM_StreamBulk": "bytes_per_second",
           "BM_Messaging": "items_per_second",
           "BM_Pairs": "items_per_second"}
VERDICTS = ("worse", "better", "same", "inconclusive")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print("compare: %s (see --help)" % message, file=sys.stderr)
        sys.exit(EX_USAGE)


class DataError(Exception):
    """Bad input: one line, exit 65."""


# ---- the environment and the matrix ----------------------------------

IGNORED_ENV = ("timestamp_utc", "loadavg", "schema")
# Differences summed up in one line each: the vm's settings (the accelerator
# line says what matters) and the CPU vulnerabilities (they follow the
# kernel's mitigation code as much as the CPU).
GROUPED_ENV = {"vm": " (guest run settings; see the accelerator line)",
               "vulnerabilities": " (they follow the kernel's mitigations)"}


def _flat_envs(a, b, warn):
    per = {}
    for label, side in (("A", a), ("B", b)):
        flat = []
        for path, run in side.runs:
            env = R.env_of(run)
            if env is None:
                warn.append("%s: %s has no recorded environment "
                            "(context.sockpair_env)" % (label, path))
                continue
            flat.append(R.flatten(env))
        per[label] = flat
    return per


def _env_key_diff(per, k, warn, grouped, unrecorded):
    def values(label):
        return sorted({f.get(k, R.ABSENT) for f in per[label]})
    va, vb = values("A"), values("B")
    group = k.split(".")[0]
    # "absent" = not recorded (an older run, a missing file): unknown,
    # not a difference; said once at the end.
    if R.ABSENT in va + vb and group != "vm":
        if set(va + vb) != {R.ABSENT}:
            unrecorded.add(group)
        va = [v for v in va if v != R.ABSENT]
        vb = [v for v in vb if v != R.ABSENT]
        if not va or not vb:
            return
    for label, v in (("A", va), ("B", vb)):
        if len(v) > 1:
            warn.append("%s's runs differ among themselves in %s: %s"
                        % (label, k, " | ".join(v)))
    if not (per["A"] and per["B"]) or va == vb:
        return
    if group in GROUPED_ENV:
        grouped.setdefault(group, []).append(k[len(group) + 1:])
        return
    warn.append("%s differs: A %s; B %s" % (k, " | ".join(va), " | ".join(vb)))


def env_report(a, b):
    """Warnings for every environment difference other than the kernel,
    the kernels and the load average at the start, per side."""
    warn = []
    per = _flat_envs(a, b, warn)
    keys = sorted({k for label in per for f in per[label] for k in f})
    grouped, unrecorded = {}, set()
    for k in keys:
        if k.split(".")[0] in IGNORED_ENV or k.startswith("kernel.") or \
                k == "build.build_dir":
            continue
        _env_key_diff(per, k, warn, grouped, unrecorded)
    for group, names in sorted(grouped.items()):
        warn.append("%s differ in %d entr%s%s: %s" % (
            group, len(names), "y" if len(names) == 1 else "ies",
            GROUPED_ENV[group], ", ".join(names)))
    if unrecorded:
        warn.append("not recorded in every run (\"absent\"), so not compared "
                    "there: %s" % ", ".join(sorted(unrecorded)))
    kern = {label: ", ".join(sorted({f.get("kernel.release", R.ABSENT)
                                     for f in per[label]}))
            for label in per if per[label]}
    load = {}
    for label in per:
        l1 = [_load1(f) for f in per[label]]
        l1 = [x for x in l1 if x is not None]
        if l1:
            load[label] = [min(l1), max(l1)]
    return {"warnings": warn, "kernel": kern, "load": load}


def _load1(flat):
    try:
        v = json.loads(flat.get("loadavg", "null"))
    except ValueError:
        return None
    if isinstance(v, list) and v and isinstance(v[0], (int, float)):
        return v[0]
    return None


def _cell_desc(c):
    if c is None:
        return "missing"
    if c.get("ok"):
        return "ok (%s)" % c.get("method")
    return str(c.get("errno"))


def compare_matrices(a, b):
    """{"cells", "differences"} of the newest matrix of each side, or
    {"only": "A"|"B"}, or None when neither side has one."""
    if not a.matrices or not b.matrices:
        if a.matrices or b.matrices:
            return {"only": "A" if a.matrices else "B"}
        return None

    def cells(m):
        return {(c.get("domain"), c.get("type"), c.get("protocol")): c
                for c in m.get("cells", []) if isinstance(c, dict)}
    ca, cb = cells(a.matrices[-1][1]), cells(b.matrices[-1][1])
    diffs = []
    for key in sorted(set(ca) | set(cb), key=lambda k: tuple(
            -1 if not isinstance(x, int) else x for x in k)):
        x, y = ca.get(key), cb.get(key)
        if _cell_desc(x) != _cell_desc(y):
            c = x or y
            diffs.append("%s %s %s: A %s, B %s" % (
                c.get("domain_name"), c.get("type_name"),
                c.get("protocol_name"), _cell_desc(x), _cell_desc(y)))
    return {"cells": len(set(ca) | set(cb)), "differences": diffs}


# ---- suites --------------------------------------------------------------

def suite_of(run):
    return str((run.get("context") or {}).get("suite", R.ABSENT))


def _shared_suite(sa, sb, a, b):
    common = sa & sb
    if "default" in common:
        return "default"
    if common:
        return max(sorted(common), key=lambda x: sum(
            1 for _, r in a.runs + b.runs if suite_of(r) == x))
    return None


def _pick_suite(side, have, wanted, shared):
    if wanted:
        return wanted
    if len(have) <= 1:
        return None
    if shared:
        return shared
    for name in ("default", "quick"):
        if name in have:
            return name
    return suite_of(side.runs[-1][1])  # the newest run's (names sort)


def choose_suite(a, b, args):
    """Keeps the runs of one suite per side (context.suite, set by
    scripts/bench): quick and default runs have other settings and must not
    be pooled.  Returns a note or None; raises DataError when a side has no
    run of the suite asked for, or when the sides ran different suites
    and neither --suite-a nor --suite-b says to compare them anyway."""
    sa = {suite_of(r) for _, r in a.runs}
    sb = {suite_of(r) for _, r in b.runs}
    shared = _shared_suite(sa, sb, a, b)
    picks = {"A": _pick_suite(a, sa, args.suite_a or args.suite, shared),
             "B": _pick_suite(b, sb, args.suite_b or args.suite, shared)}
    for label, side in (("A", a), ("B", b)):
        want = picks[label]
        if want is None:
            continue
        kept = [(f, r) for f, r in side.runs if suite_of(r) == want]
        if side.runs and not kept:
            raise DataError("%s: no run of suite '%s' (it has: %s)" % (
                side.path, want, ", ".join(sorted(
                    {suite_of(r) for _, r in side.runs}))))
        side.runs = kept
    fa = picks["A"] or ", ".join(sorted(sa))
    fb = picks["B"] or ", ".join(sorted(sb))
    explicit = args.suite_a or args.suite_b or args.suite
    if fa != fb and a.runs and b.runs and R.ABSENT not in (fa, fb) and \
            not explicit:
        raise DataError(
            "%s: suite '%s', but %s: suite '%s': runs of different suites "
            "have other repetitions and times (--suite-a/--suite-b compare "
            "them anyway)" % (a.path, fa, b.path, fb))
    if picks["A"] is None and picks["B"] is None and sa == sb:
        return None
    note = "suite: A %s; B %s" % (fa, fb)
    if len(sa) > 1 or len(sb) > 1:
        note += " (the sides hold: A %s; B %s; --suite, --suite-a, " \
            "--suite-b choose)" % (", ".join(sorted(sa)), ", ".join(sorted(sb)))
    if fa != fb:
        note = "warning: " + note + "; other suites have other repetitions " \
            "and times"
    return note


# ---- the report ---------------------------------------------------------

def metric_list(sa, sb):
    keys = ["time"] + list(sa["counters"])
    return keys + [k for k in sb["counters"] if k not in sa["counters"]]


def bench_rows(sa, sb, timing_ok):
    rows = []
    for metric in metric_list(sa, sb):
        if not timing_ok and not R.KERNEL_DECIDED.search(metric):
            continue
        rows.append(V.new_row(metric, R.values(sa, metric),
                              R.values(sb, metric)))
    return rows


def primary_of(name, rows):
    """The row a family's table shows: the family's metric, else time,
    else the first row compared (across accelerators: what the kernel
    decides)."""
    by = {r["metric"]: r for r in rows}
    for m in (PRIMARY.get(R.family_of(name)), "time"):
        if m in by and by[m]["p"] is not None:
            return by[m]
    judged = [r for r in rows if r["p"] is not None]
    return judged[0] if judged else (rows[0] if rows else None)


def _skip_note(label, name, errors):
    skip = errors[0].startswith("skip:")
    return {"side": label, "name": name, "skipped": skip,
            "count": len(errors), "message": errors[0]}


def build_benchmarks(a, b, args, timing_ok):
    sa, sb = R.samples(a.runs), R.samples(b.runs)
    flt = re.compile(args.filter) if args.filter else None
    # The canaries are the drift (drift.py), not benchmarks to judge.
    names = [n for n in sa if n in sb and not D.is_canary(n) and
             (flt is None or flt.search(n))]
    only = {"A": [n for n in sa if n not in sb and not D.is_canary(n)],
            "B": [n for n in sb if n not in sa and not D.is_canary(n)]}
    benches, errors = [], []
    for n in names:
        for label, s in (("A", sa[n]), ("B", sb[n])):
            if s["errors"]:
                errors.append(_skip_note(label, n, s["errors"]))
        rows = bench_rows(sa[n], sb[n], timing_ok)
        if not any(r["a"]["n"] or r["b"]["n"] for r in rows):
            continue
        benches.append({"name": n, "family": R.family_of(n),
                        "short": R.short_name(n), "unit": sa[n]["unit"],
                        "rows": rows})
    return benches, only, errors


def _geomean(xs):
    xs = [x for x in xs if x and x > 0]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def _counts(rows, without_band=False):
    """Verdicts of rows; "drift": how many inconclusive ones are so because
    of the drift band.  without_band: as they would be without it."""
    counts = {v: 0 for v in VERDICTS}
    counts["drift"] = 0
    for r in rows:
        v = r["verdict"]
        if r["drift"] and without_band:
            v = r["without_band"]["verdict"]
        elif r["drift"]:
            counts["drift"] += 1
        counts[v] = counts.get(v, 0) + 1
    return counts


def family_summaries(benches):
    fams = {}
    for bm in benches:
        fams.setdefault(bm["family"], []).append(bm)
    out = []
    for name, bms in fams.items():
        prim = [bm["primary"] for bm in bms if bm["primary"]]
        metrics = [r["metric"] for r in prim]
        metric = max(set(metrics), key=metrics.count) if metrics else "time"
        use = [r for r in prim if r["metric"] == metric and r["ratio"]]
        out.append({"name": name, "metric": metric, "benchmarks": len(bms),
                    "counts": _counts(prim),
                    "counts_without_band": _counts(prim, True),
                    "geomean": {"a": _geomean(r["a"]["median"] for r in use),
                                "b": _geomean(r["b"]["median"] for r in use),
                                "ratio": _geomean(r["ratio"] for r in use),
                                "n": len(use)}})
    return out


def overall(benches):
    prim = [bm["primary"] for bm in benches if bm["primary"]]
    times = [r["ratio"] for bm in benches for r in bm["rows"]
             if r["metric"] == "time" and r["ratio"]]
    unstable = {label: sum(1 for bm in benches if bm["primary"] and
                           bm["primary"][label.lower()]["unstable"])
                for label in ("A", "B")}
    return {"benchmarks": len(benches), "counts": _counts(prim),
            "counts_without_band": _counts(prim, True),
            "time_geomean_ratio": _geomean(times), "time_n": len(times),
            "unstable": unstable}


def _regressions(benches, without_band=False):
    out = []
    for bm in benches:
        for r in bm["rows"]:
            reg = r["regression"]
            if without_band and r["drift"]:
                reg = r["without_band"]["regression"]
            if reg:
                out.append({"name": bm["name"], "metric": r["metric"],
                            "a_median": r["a"]["median"],
                            "b_median": r["b"]["median"], "ratio": r["ratio"],
                            "p": r["p"], "q": r["q"]})
    return out


def build_report(a, b, args, env, timing_note):
    timing_ok = timing_note is None or args.force
    benches, only, errors = build_benchmarks(a, b, args, timing_ok)
    rows = [r for bm in benches for r in bm["rows"]]
    drift = D.analyse(a, b, not args.no_drift_band) if timing_ok else None
    V.benjamini_hochberg(rows)
    for bm in benches:
        for r in bm["rows"]:
            band = D.band_log(drift, r["metric"], bm["name"])
            r["band_pct"] = None if band is None else 100.0 * math.expm1(band)
            V.decide(r, args.alpha, args.threshold / 100.0, band)
    for bm in benches:
        bm["primary"] = primary_of(bm["name"], bm["rows"])
        bm["verdict"] = bm["primary"]["verdict"] if bm["primary"] else ""
    families = family_summaries(benches)
    regressions = _regressions(benches)
    return {
        "schema": 1, "alpha": args.alpha, "threshold_pct": args.threshold,
        "unstable_cv_pct": R.UNSTABLE_CV * 100.0,
        "a": {"path": args.a, "runs": len(a.runs),
              "matrices": len(a.matrices)},
        "b": {"path": args.b, "runs": len(b.runs),
              "matrices": len(b.matrices)},
        "timing_compared": timing_ok, "timing_note": timing_note,
        "environment": env, "matrix": compare_matrices(a, b),
        "drift": drift,
        "families": families, "overall": overall(benches),
        "benchmarks": benches, "only_in": only, "errors": errors,
        "rows_judged": len(rows), "regressions": regressions,
        "regressions_without_band": _regressions(benches, True),
        "exit_status": EX_REGRESSION if regressions else 0,
    }


# ---- accelerators -------------------------------------------------------

def timing_refusal(a, b):
    """None when both sides ran on one accelerator, else what differs."""
    idents = {}
    for label, side in (("A", a), ("B", b)):
        for _, run in side.runs:
            idents.setdefault(R.accelerator_identity(R.env_of(run)),
                              set()).add(label)
    if len(idents) <= 1:
        return None
    return "; ".join("%s: %s" % ("+".join(sorted(v)), R.describe_identity(k))
                     for k, v in sorted(idents.items()))


# ---- Google Benchmark's compare.py --------------------------------------

def merged_for_gbench(side, names, path):
    """One JSON holding every repetition of every run, plus the pooled
    median and mean as aggregates (what compare.py -a shows), for
    compare.py."""
    entries, pooled = [], {}
    for _, run in side.runs:
        for e in run["benchmarks"]:
            if e.get("run_type", "iteration") == "iteration" and \
                    R.bench_key(e) in names and not e.get("error_occurred"):
                pooled.setdefault(R.bench_key(e), []).append(e)
    for key, es in sorted(pooled.items(), key=lambda kv: R.order_key(
            kv[1][0], 0)):
        entries += es
        unit = es[0].get("time_unit", "ns")
        same = [e for e in es if e.get("time_unit", "ns") == unit]
        for agg, f in (("median", R.median),
                       ("mean", lambda xs: sum(xs) / len(xs))):
            entries.append({
                "name": key + "_" + agg, "run_name": key,
                "run_type": "aggregate", "aggregate_name": agg,
                "repetitions": len(same), "threads": 1, "iterations": len(same),
                "time_unit": unit,
                "real_time": f([e["real_time"] for e in same]),
                "cpu_time": f([e["cpu_time"] for e in same])})
    ctx = dict(side.runs[0][1].get("context") or {})
    ctx.pop("sockpair_env", None)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "benchmarks": entries}, f)


def run_gbench(a, b, names, every):
    print("\n== Google Benchmark compare.py (Mann-Whitney U on time over "
          "every repetition; rows: pooled median and mean; "
          "A = baseline, B = contender)")
    if not os.path.exists(GBENCH_COMPARE):
        print("(Google Benchmark's compare.py is missing: install "
              "libbenchmark-tools)")
        return
    with tempfile.TemporaryDirectory(prefix="sp-compare-") as tmp:
        fa, fb = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
        merged_for_gbench(a, names, fa)
        merged_for_gbench(b, names, fb)
        argv = ["/usr/bin/python3", GBENCH_COMPARE, "--no-color"]
        argv += [] if every else ["-a"]
        try:
            p = subprocess.run(argv + ["benchmarks", fa, fb],
                               capture_output=True, text=True, timeout=300,
                               check=False)
        except (OSError, subprocess.SubprocessError) as e:
            print("(compare.py failed: %s)" % e)
            return
        sys.stdout.write(p.stdout)
        if p.returncode:
            print("(compare.py exited %d: %s)" % (p.returncode,
                                                   p.stderr.strip()))


# ---- output files -------------------------------------------------------

def write_atomically(path, text):
    """Writes text to path through a hidden temporary file beside it."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp", dir=d)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_outputs(report, args):
    jobs = []
    if args.json_out:
        jobs.append((args.json_out, lambda: json.dumps(
            T.jsonable(report), allow_nan=False) + "\n"))
    if args.html_out:
        jobs.append((args.html_out, lambda: html_report.render(report)))
    for path, make in jobs:
        try:
            write_atomically(path, make())
        except OSError as e:
            print("compare: cannot write %s: %s" % (path, e.strerror or e),
                  file=sys.stderr)
            return EX_IOERR
    return 0


# ---- main -----------------------------------------------------------------

def parse_args(argv):
    p = Parser(prog="scripts/compare", add_help=False)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--threshold", type=float, default=10.0)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--force", action="store_true")
    p.add_argument("--filter", default=None)
    p.add_argument("--suite", default=None)
    p.add_argument("--suite-a", default=None)
    p.add_argument("--suite-b", default=None)
    p.add_argument("--all", action="store_true")
    p.add_argument("--compare-py", action="store_true")
    p.add_argument("--gbench-all", action="store_true")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--json", dest="json_out", default=None)
    p.add_argument("--html", dest="html_out", default=None)
    p.add_argument("--no-drift-band", action="store_true")
    args = p.parse_args(argv)
    if args.threshold < 0 or not 0 < args.alpha < 1:
        p.error("--threshold must be >= 0 and --alpha in (0, 1)")
    if args.rows is not None and args.rows < 0:
        p.error("--rows must be >= 0 (0: every row)")
    if args.filter:
        try:
            re.compile(args.filter)
        except re.error as e:
            p.error("--filter: %s" % e)
    return args


def load(args):
    sides = []
    for spec in (args.a, args.b):
        side = R.load_side(spec)
        if not side.runs and not side.matrices:
            raise DataError("%s: holds no benchmark run or matrix" % spec)
        sides.append(side)
    return sides


def main(argv):
    args = parse_args(argv)
    try:
        a, b = load(args)
        suite_note = choose_suite(a, b, args)
    except (R.LoadError, DataError) as e:
        print("compare: %s" % e, file=sys.stderr)
        return EX_DATAERR
    env = env_report(a, b)
    report = build_report(a, b, args, env, timing_refusal(a, b))
    report["suite_note"] = suite_note
    out = T.render(report, args)
    sys.stdout.write(out["head"])
    if args.compare_py and report["timing_compared"]:
        names = {bm["name"] for bm in report["benchmarks"]}
        sys.stdout.flush()
        run_gbench(a, b, names, args.gbench_all)
    sys.stdout.write(out["body"])
    sys.stdout.flush()
    rc = write_outputs(report, args)
    return rc or report["exit_status"]


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    sys.exit(main(sys.argv[1:]))
