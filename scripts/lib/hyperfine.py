"""scripts/hyperfine: whole-process timings (see scripts/hyperfine --help)."""
import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402

EX_USAGE, EX_UNAVAILABLE, EX_OSERR, EX_CANTCREAT = 64, 69, 71, 73
TRANSPORTS = ("unix-stream", "unix-dgram", "unix-seqpacket", "tcp4", "tcp6",
              "udp4", "udp6", "pipe")


def positive(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number: '%s'" % text)
    if v < 0:
        raise argparse.ArgumentTypeError("negative: '%s'" % text)
    return v


def perf_works(loops):
    """perf is a Debian wrapper that fails when no perf matches the kernel."""
    if not shutil.which("perf"):
        return "perf is not installed (Debian package linux-perf)"
    try:
        p = subprocess.run(["perf", "bench", "sched", "pipe", "-l", "10"],
                           capture_output=True, text=True, timeout=30,
                           check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return "perf failed: %s" % e
    if p.returncode:
        return "perf bench does not run here: %s" % (
            (p.stderr or p.stdout).strip().splitlines() or ["exit %d"
                                                            % p.returncode])[0]
    return None


def commands(args):
    cmds = []  # (name, argv)
    why = None
    if not args.no_perf:
        why = perf_works(args.count)
        if why is None:
            cmds.append(("perf bench sched pipe",
                         ["perf", "bench", "sched", "pipe", "-l",
                          str(args.count)]))
    for t in args.transports:
        cmds.append(("pingpong " + t,
                     [args.cli, "pingpong", "--transport", t, "--count",
                      str(args.count), "--size", str(args.size), "--pin",
                      args.pin]))
    for t in args.stream_transports:
        cmds.append(("stream " + t,
                     [args.cli, "stream", "--transport", t, "--count",
                      str(args.stream_count), "--size",
                      str(args.stream_size), "--pin", args.pin]))
    return cmds, why


def summaries(cmds):
    """One more run of each sockpair command, for its summary line."""
    lines = []
    for name, argv in cmds:
        if argv[0] == "perf":
            continue
        try:
            p = subprocess.run(argv, capture_output=True, text=True,
                               timeout=120, check=False)
            lines.append(p.stdout.strip() or "%s: exit %d %s"
                         % (name, p.returncode, p.stderr.strip()))
        except (OSError, subprocess.SubprocessError) as e:
            lines.append("%s: %s" % (name, e))
    return lines


def markdown(env, args, cmds, perf_why, table, lines):
    k = env.get("kernel") or {}
    sp = env.get("sockpair") or {}
    out = ["# Whole-process timings: hyperfine %s" % args.hyperfine_version,
           "",
           "kernel %s, host %s, %s UTC, sockpair %s%s, load %s" % (
               k.get("release"), env.get("host"), env.get("timestamp_utc"),
               str(sp.get("commit", "absent"))[:12],
               " (dirty)" if sp.get("dirty") is True else "",
               env.get("loadavg")),
           "",
           "`hyperfine -N --warmup %d --runs %d` over the commands below, in "
           "one run; each round trip count is %d. Whole-process times swing "
           "with the neighbours: compare rows of one table, not tables."
           % (args.warmup, args.runs, args.count),
           ""]
    if perf_why:
        out += ["The anchor `perf bench sched pipe` was skipped: %s." % perf_why,
                ""]
    out += [table.rstrip(), "", "Commands:", ""]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))

    def shown(a):  # repository paths relative: the file is committed
        if os.path.isabs(a) and a.startswith(repo + os.sep):
            return os.path.relpath(a, repo)
        return a
    out += ["* `%s`" % " ".join(shlex.quote(shown(a)) for a in argv)
            for _, argv in cmds]
    if lines:
        out += ["", "One more run of each sockpair command (its summary line):",
                "", "```"] + lines + ["```"]
    return "\n".join(out) + "\n"


def main(argv):
    p = export.Parser(prog="scripts/hyperfine", add_help=False)
    p.add_argument("--count", type=positive, default=20000)
    p.add_argument("--size", type=positive, default=64)
    p.add_argument("--pin", choices=("same", "diff", "none"), default="none")
    p.add_argument("--transports", default="pipe,unix-stream,unix-seqpacket,"
                   "tcp4,udp4")
    p.add_argument("--stream-transports", default="pipe,unix-stream,tcp4")
    p.add_argument("--stream-count", type=positive, default=5000)
    p.add_argument("--stream-size", type=positive, default=65536)
    p.add_argument("--runs", type=positive, default=10)
    p.add_argument("--warmup", type=positive, default=2)
    export.add_common(p)
    args = p.parse_args(argv)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    args.results = args.results or os.path.join(repo, "results")
    for attr in ("transports", "stream_transports"):
        names = [t for t in getattr(args, attr).split(",") if t]
        bad = [t for t in names if t not in TRANSPORTS]
        if bad:
            p.error("unknown transport(s): %s" % ", ".join(bad))
        setattr(args, attr, names)
    if args.count < 1 or args.runs < 2 or args.stream_count < 1 or \
            args.size < 1 or args.stream_size < 1:
        p.error("--count, --size, --stream-* >= 1 and --runs >= 2")
    if not shutil.which("hyperfine"):
        print("hyperfine: hyperfine is not installed (Debian package "
              "hyperfine)", file=sys.stderr)
        return EX_UNAVAILABLE
    if not os.access(args.cli, os.X_OK):
        print("hyperfine: %s is not an executable sockpair CLI" % args.cli,
              file=sys.stderr)
        return EX_UNAVAILABLE
    args.hyperfine_version = subprocess.run(
        ["hyperfine", "--version"], capture_output=True, text=True,
        check=False).stdout.strip().replace("hyperfine ", "")

    env = export.capture_env(repo, args.cli)

    cmds, perf_why = commands(args)
    if perf_why:
        print("hyperfine: skipping the perf anchor: " + perf_why,
              file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="sp-hyperfine-") as tmp:
        fj, fm = os.path.join(tmp, "h.json"), os.path.join(tmp, "h.md")
        hf = ["hyperfine", "-N", "--warmup", str(args.warmup), "--runs",
              str(args.runs), "--export-json", fj, "--export-markdown", fm]
        for name, a in cmds:
            hf += ["--command-name", name,
                   " ".join(shlex.quote(x) for x in a)]
        print("+ " + " ".join(shlex.quote(x) for x in hf), file=sys.stderr)
        rc = subprocess.run(hf, stdout=sys.stderr, check=False).returncode
        if rc:
            print("hyperfine: hyperfine exited %d (a command failed?)" % rc,
                  file=sys.stderr)
            return EX_OSERR
        with open(fj, encoding="utf-8") as f:
            data = json.load(f)
        with open(fm, encoding="utf-8") as f:
            table = f.read()
    lines = summaries(cmds)
    data["sockpair_env"] = env
    data["sockpair_commands"] = [{"name": n, "argv": a} for n, a in cmds]
    data["sockpair_summaries"] = lines
    if perf_why:
        data["sockpair_perf_skipped"] = perf_why
    md = markdown(env, args, cmds, perf_why, table, lines)
    return export.store_and_print("hyperfine", args, env, "hyperfine", data, md)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    sys.exit(main(sys.argv[1:]))
