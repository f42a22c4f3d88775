"""What the whole-process scripts (scripts/hyperfine, scripts/messaging-
anchor) share: the environment of a run of the CLI, and storing a JSON +
markdown pair atomically under results/<kernel>/<prefix>-<stamp>-<host>."""
import argparse
import json
import os
import sys

import env as envmod
import record


class Parser(argparse.ArgumentParser):
    """Usage errors as "<prog>: <message> (see --help)" and exit 64."""

    def error(self, message):
        print("%s: %s (see --help)" % (self.prog.split("/")[-1], message),
              file=sys.stderr)
        sys.exit(64)


def add_common(p):
    """The options every whole-process script has."""
    p.add_argument("--cli", required=True)
    p.add_argument("--results")
    p.add_argument("--kernel")
    p.add_argument("--no-perf", action="store_true")
    p.add_argument("--no-record", action="store_true")


def capture_env(repo, cli):
    """The environment now; the build's, when cli sits in a CMake build."""
    class EnvArgs:
        root, build, compiler, cflags, merge = "/", None, None, None, []
    ea = EnvArgs()
    ea.repo = repo
    if cli:
        bdir = os.path.dirname(os.path.dirname(os.path.abspath(cli)))
        if os.path.exists(os.path.join(bdir, "CMakeCache.txt")):
            ea.build = bdir
    return envmod.capture(ea)


def heading(title, env):
    """A Markdown table's title and the line that says where and when it
    was taken."""
    k = env.get("kernel") or {}
    sp = env.get("sockpair") or {}
    return ["# " + title, "",
            "kernel %s, host %s, %s UTC, sockpair %s%s, load %s" % (
                k.get("release"), env.get("host"), env.get("timestamp_utc"),
                str(sp.get("commit", "absent"))[:12],
                " (dirty)" if sp.get("dirty") is True else "",
                env.get("loadavg")), ""]


def store(results, kernel, env, prefix, doc, md):
    """(json path, md path); raises OSError. kernel None: the env's."""
    kernel = kernel or (env.get("kernel") or {}).get("release")
    if not kernel or kernel == envmod.ABSENT:
        kernel = os.uname().release
    host = env.get("host") if env.get("host") != envmod.ABSENT else \
        os.uname().nodename
    directory = os.path.join(results, record.safe_name(kernel, "kernel"))
    base = "%s-%s-%s" % (prefix, record.stamp(env),
                         record.safe_name(host, "host"))
    pj = record.atomic_store(directory, base, (json.dumps(
        doc, indent=2) + "\n").encode("utf-8"), ".json")
    base = os.path.splitext(os.path.basename(pj))[0]
    pm = record.atomic_store(directory, base, md.encode("utf-8"), ".md")
    return pj, pm


def store_and_print(prog, args, env, prefix, doc, md):
    """The markdown on stdout; unless args.no_record, store() under
    args.results (args.kernel) and both paths after it. The exit status:
    0, or 73 when the results cannot be written."""
    if args.no_record:
        sys.stdout.write(md)
        return 0
    try:
        pj, pm = store(args.results, args.kernel, env, prefix, doc, md)
    except OSError as e:
        print("%s: cannot write under %s: %s" % (prog, args.results, e),
              file=sys.stderr)
        return 73
    sys.stdout.write(md)
    print(pj)
    print(pm)
    return 0
