"""scripts/messaging-anchor: `perf bench sched messaging` beside
`sockpair messaging` with the same parameters (see --help)."""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402

EX_USAGE, EX_UNAVAILABLE, EX_OSERR, EX_CANTCREAT = 64, 69, 71, 73
TOLERANCE = 0.20  # "agree within 20 %"
PERF_TOTAL = re.compile(r"Total time:\s*([0-9.]+)\s*\[sec\]")
# (name, perf flags, sockpair flags): perf's socket is a UNIX stream pair.
CONFIGS = [
    ("socket process", [], ["--transport", "unix-stream"]),
    ("pipe process", ["-p"], ["--transport", "pipe"]),
    ("socket thread", ["-t"], ["--transport", "unix-stream", "--thread"]),
    ("pipe thread", ["-p", "-t"], ["--transport", "pipe", "--thread"]),
]


def int_list(text):
    try:
        v = [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError("not a list of numbers: '%s'" % text)
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError("want numbers >= 1: '%s'" % text)
    return v


def perf_refusal():
    """None if `perf bench sched messaging` runs here, else why not."""
    if not shutil.which("perf"):
        return "perf is not installed (Debian package linux-perf)"
    try:
        p = subprocess.run(["perf", "bench", "sched", "messaging", "-g", "1",
                            "-l", "1"], capture_output=True, text=True,
                           timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return "perf failed: %s" % e
    if p.returncode or not PERF_TOTAL.search(p.stdout):
        lines = (p.stderr or p.stdout).strip().splitlines()
        return "perf bench sched messaging does not run here: %s" % (
            lines[0] if lines else "exit %d" % p.returncode)
    return None


def timed(argv, timeout):
    """(stdout, wall seconds) or raises RuntimeError with the reason."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError("%s: no answer within %d s" % (argv[0], timeout))
    wall = time.monotonic() - t0
    if p.returncode:
        raise RuntimeError("%s exited %d: %s" % (
            " ".join(argv), p.returncode, p.stderr.strip()[-300:]))
    return p.stdout, wall


def run_perf(flags, groups, loops, timeout):
    out, wall = timed(["perf", "bench", "sched", "messaging", "-g",
                       str(groups), "-l", str(loops)] + flags, timeout)
    m = PERF_TOTAL.search(out)
    if not m:
        raise RuntimeError("perf printed no 'Total time': %s" % out[-200:])
    return {"total_s": float(m.group(1)), "wall_s": wall}


def parse_kv(line):
    return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)


def run_ours(cli, flags, groups, loops, timeout):
    out, wall = timed([cli, "messaging", "--groups", str(groups), "--loops",
                       str(loops)] + flags, timeout)
    kv = parse_kv(out.strip().splitlines()[-1])
    return {"total_s": float(kv["reaped_s"]), "span_s": float(kv["elapsed_s"]),
            "wall_s": wall, "p99_us": float(kv["lat_p99_us"]),
            "msgs_per_s": float(kv["msgs_per_s"]), "line": out.strip()}


def rounds(args, perf_ok):
    """Every configuration, A then B then B then A ...: drift cancels."""
    data = []
    for name, pflags, sflags in CONFIGS:
        if name.split()[1] not in args.modes:
            continue
        for g in args.groups:
            cell = {"config": name, "groups": g, "loops": args.loops,
                    "perf": [], "sockpair": [], "perf_fixed": [],
                    "sockpair_fixed": []}
            for r in range(args.rounds):
                order = ["perf", "sockpair"] if r % 2 == 0 else \
                    ["sockpair", "perf"]
                # loops=1 too: the fixed cost (start, wake, exit, reap)
                # inside each program's span, to subtract.
                for loops, sfx in ((args.loops, ""), (1, "_fixed")):
                    for who in order:
                        if who == "perf" and perf_ok:
                            cell["perf" + sfx].append(run_perf(
                                pflags, g, loops, args.timeout))
                        elif who == "sockpair":
                            cell["sockpair" + sfx].append(run_ours(
                                args.cli, sflags, g, loops, args.timeout))
            print("messaging-anchor: %s groups %d done" % (name, g),
                  file=sys.stderr)
            data.append(cell)
    return data


def med(runs, key):
    return statistics.median(r[key] for r in runs) if runs else None


def verdict(ratio):
    if ratio is None:
        return "-"
    return "agree" if abs(ratio - 1) <= TOLERANCE else "DIFFER"


def summarize(data):
    for c in data:
        ratios = [s["total_s"] / p["total_s"]
                  for p, s in zip(c["perf"], c["sockpair"])]
        # The work alone: each round's span less its loops=1 span.
        net = [(s["total_s"] - sf["total_s"]) / (p["total_s"] - pf["total_s"])
               for p, s, pf, sf in zip(c["perf"], c["sockpair"],
                                       c["perf_fixed"], c["sockpair_fixed"])
               if p["total_s"] > pf["total_s"]]
        c["ratio"] = statistics.median(ratios) if ratios else None
        c["net_ratio"] = statistics.median(net) if net else None
        c["verdict"] = verdict(c["ratio"])
        if c["verdict"] == "DIFFER" and verdict(c["net_ratio"]) == "agree":
            c["verdict"] = "agree (work)"


def fmt(v, d=3):
    return "-" if v is None else "%.*f" % (d, v)


def markdown(env, args, data, perf_why):
    out = export.heading("hackbench anchor: perf bench sched messaging vs "
                         "sockpair messaging", env) + [
           "Same parameters on both sides (20 senders + 20 receivers a group, "
           "100-byte messages, %d loops), %d rounds per configuration, "
           "interleaved (perf then sockpair, then the other way round). "
           "Medians. `total` is perf's `Total time` (release to every task "
           "reaped) and sockpair's `reaped_s` (the same span); `span` is "
           "sockpair's own figure, release to the last receiver's last "
           "message. `fixed` is the same span with 1 loop (starting, "
           "waking, exiting and reaping the tasks). `ratio` is the median "
           "of sockpair / perf per round, `work ratio` the same of (total - "
           "fixed); they agree when a ratio is within 1 +- %.2f (`agree "
           "(work)`: only once each program's fixed cost is taken out)." % (
               args.loops, args.rounds, TOLERANCE), ""]
    if perf_why:
        out += ["**perf skipped**: %s. Only sockpair's side was run." %
                perf_why, ""]
    out += ["| configuration | groups | perf total s | sockpair total s | "
            "ratio | perf fixed s | sockpair fixed s | work ratio | verdict | "
            "sockpair span s | sockpair msgs/s | sockpair p99 us |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in data:
        out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                   "%s |" % (
                       c["config"], c["groups"],
                       fmt(med(c["perf"], "total_s")),
                       fmt(med(c["sockpair"], "total_s")), fmt(c["ratio"], 2),
                       fmt(med(c["perf_fixed"], "total_s")),
                       fmt(med(c["sockpair_fixed"], "total_s")),
                       fmt(c["net_ratio"], 2), c["verdict"],
                       fmt(med(c["sockpair"], "span_s")),
                       fmt(med(c["sockpair"], "msgs_per_s"), 0),
                       fmt(med(c["sockpair"], "p99_us"), 0)))
    differ = [c for c in data if c["verdict"] == "DIFFER"]
    if differ:
        out += ["", "Configurations outside 20 %% (%d): see docs/"
                "benchmarks.md, \"Messaging against perf bench\", for what "
                "differs between the two programs." % len(differ)]
    return "\n".join(out) + "\n"


def main(argv):
    p = export.Parser(prog="scripts/messaging-anchor", add_help=False)
    p.add_argument("--groups", type=int_list, default=[1, 4])
    p.add_argument("--loops", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--modes", type=lambda s: s.split(","),
                   default=["process", "thread"])
    p.add_argument("--timeout", type=int, default=300)
    export.add_common(p)
    args = p.parse_args(argv)
    if args.loops < 1 or args.rounds < 1 or args.timeout < 1:
        p.error("--loops, --rounds and --timeout want >= 1")
    if set(args.modes) - {"process", "thread"} or not args.modes:
        p.error("--modes wants process, thread or both")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    args.results = args.results or os.path.join(repo, "results")
    if not os.access(args.cli, os.X_OK):
        print("messaging-anchor: %s is not an executable sockpair CLI"
              % args.cli, file=sys.stderr)
        return EX_UNAVAILABLE
    env = export.capture_env(repo, args.cli)
    perf_why = "--no-perf" if args.no_perf else perf_refusal()
    if perf_why:
        print("messaging-anchor: skipping perf: " + perf_why, file=sys.stderr)
    try:
        data = rounds(args, perf_why is None)
    except RuntimeError as e:
        print("messaging-anchor: %s" % e, file=sys.stderr)
        return EX_OSERR
    summarize(data)
    md = markdown(env, args, data, perf_why)
    doc = {"sockpair_anchor": "perf bench sched messaging",
           "tolerance": TOLERANCE, "loops": args.loops,
           "rounds": args.rounds, "cells": data, "sockpair_env": env}
    if perf_why:
        doc["perf_skipped"] = perf_why
    return export.store_and_print("messaging-anchor", args, env, "messaging-anchor", doc, md)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    sys.exit(main(sys.argv[1:]))
