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

EX_USAGE, EX_UNAVAILABLE, EX_OSERR = 64, 69, 71
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


PEER_JOBS = (("pingpong", "unix-stream"), ("pingpong", "unix-seqpacket"),
             ("bulk", "unix-stream"))
PEER_PINS = (("same-cpu", ["taskset", "-c", "0"]), ("unpinned", []))
PEER_IMPLS = ("raw C", "sockpair stream", "PHP", "Python")


def interpreters(args):
    """{impl: argv prefix} of the interpreters that can run the peers, and
    the reasons of those that cannot (a skip, never a failure)."""
    found, why = {}, []
    php = shutil.which(args.php)
    if not php:
        why.append("PHP: %s not found (Debian package php8.2-cli)" % args.php)
    else:
        try:
            mods = subprocess.run([php, "-m"], capture_output=True, text=True,
                                  timeout=30, check=False).stdout.split()
        except (OSError, subprocess.SubprocessError) as e:
            mods = []
            why.append("PHP: %s -m failed: %s" % (php, e))
        if "pcntl" in mods:
            found["PHP"] = [php]
        elif mods:
            why.append("PHP: %s has no pcntl extension" % php)
    if os.access(args.python, os.X_OK):
        found["Python"] = [args.python]
    else:
        why.append("Python: %s is not executable" % args.python)
    return found, why


def peer_commands(args):
    """(name, argv, job, pin, impl) for every peer, in one hyperfine run."""
    peers = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "bench", "peers")
    found, why = interpreters(args)
    cmds = []
    for pin, prefix in PEER_PINS:
        for job, transport in PEER_JOBS:
            kind = transport.split("-")[1]
            n = args.count if job == "pingpong" else args.stream_count
            extra = [kind] if job == "pingpong" else [str(args.stream_size)]
            for impl in PEER_IMPLS:
                if impl in ("raw C", "sockpair stream"):
                    api = "raw" if impl == "raw C" else "stream"
                    argv = [args.peer, job, api, "--count", str(n)]
                    argv += ["--type", kind] if job == "pingpong" else \
                        ["--size", str(args.stream_size)]
                elif impl in found:
                    ext = "php" if impl == "PHP" else "py"
                    argv = found[impl] + [os.path.join(
                        peers, "%s.%s" % (job, ext)), str(n)] + extra
                else:
                    continue
                cmds.append(("%s %s %s: %s" % (job, transport, pin, impl),
                             prefix + argv, job + " " + transport, pin, impl))
    return cmds, why


def peer_ratios(data, cmds):
    """Markdown rows: each command's median, its speed against raw C of the
    same job and pinning (time(raw) / time(it)), and sockpair's against
    PHP's."""
    med = {}
    for (name, _, job, pin, impl), r in zip(cmds, data["results"]):
        med[(job, pin, impl)] = r.get("median") or r["mean"]
    rows = ["| job | pinning | implementation | median [ms] | x raw C | "
            "x PHP |", "|---|---|---|--:|--:|--:|"]
    ratios = []
    for (job, pin, impl), t in med.items():
        raw = med.get((job, pin, "raw C"))
        php = med.get((job, pin, "PHP"))
        x_raw = raw / t if raw else None
        x_php = php / t if php else None
        ratios.append({"job": job, "pinning": pin, "impl": impl,
                       "median_s": t, "x_raw": x_raw, "x_php": x_php})
        rows.append("| %s | %s | %s | %.1f | %s | %s |" % (
            job, pin, impl, t * 1e3,
            "%.3f" % x_raw if x_raw else "-",
            "%.3f" % x_php if x_php else "-"))
    return rows, ratios


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
    out = export.heading("Whole-process timings: hyperfine %s"
                         % args.hyperfine_version, env) + [
           "`hyperfine -N --warmup %d --runs %d` over the commands below, in "
           "one run; each round trip count is %d. Whole-process times swing "
           "with the neighbours: compare rows of one table, not tables."
           % (args.warmup, args.runs, args.count),
           ""]
    if perf_why:
        out += ["The anchor `perf bench sched pipe` was skipped: %s." % perf_why,
                ""]
    out += [table.rstrip(), "", "Commands:", ""]
    out += ["* `%s`" % " ".join(shlex.quote(shown(a)) for a in argv)
            for _, argv in cmds]
    if lines:
        out += ["", "One more run of each sockpair command (its summary line):",
                "", "```"] + lines + ["```"]
    return "\n".join(out) + "\n"


def peers_markdown(env, args, cmds, skipped, table, rows):
    out = export.heading("Whole-process peers: hyperfine %s"
                         % args.hyperfine_version, env) + [
           "`hyperfine -N --warmup %d --runs %d` over the commands below, in "
           "one run: PHP's manual line ping-pong (%d round trips) and a bulk "
           "read (%d blocks of %d bytes) over a UNIX pair, by a raw C "
           "read/write loop, sockpair's stream layer, PHP and Python; "
           "same-cpu is `taskset -c 0` (parent and child on CPU 0). "
           "`x raw C` is time(raw C) / time(row), the row's speed against "
           "raw C of the same job and pinning (> 1: faster); `x PHP` the "
           "same against PHP." % (args.warmup, args.runs, args.count,
                                  args.stream_count, args.stream_size),
           ""]
    out += ["Skipped: %s." % w for w in skipped]
    if skipped:
        out.append("")
    out += rows + ["", "hyperfine's own table:", "", table.rstrip(), "",
                   "Commands:", ""]
    out += ["* `%s`" % " ".join(shlex.quote(shown(a)) for a in argv)
            for _, argv, *_ in cmds]
    return "\n".join(out) + "\n"


def shown(a):
    """A repository path relative to the repository: the file is committed."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    if os.path.isabs(a) and a.startswith(repo + os.sep):
        return os.path.relpath(a, repo)
    return a


def run_hyperfine(args, cmds):
    """One hyperfine run over cmds [(name, argv, ...)]: (json, markdown),
    or None if hyperfine failed."""
    with tempfile.TemporaryDirectory(prefix="sp-hyperfine-") as tmp:
        fj, fm = os.path.join(tmp, "h.json"), os.path.join(tmp, "h.md")
        hf = ["hyperfine", "-N", "--warmup", str(args.warmup), "--runs",
              str(args.runs), "--export-json", fj, "--export-markdown", fm]
        for name, a, *_ in cmds:
            hf += ["--command-name", name,
                   " ".join(shlex.quote(x) for x in a)]
        print("+ " + " ".join(shlex.quote(x) for x in hf), file=sys.stderr)
        rc = subprocess.run(hf, stdout=sys.stderr, check=False).returncode
        if rc:
            print("hyperfine: hyperfine exited %d (a command failed?)" % rc,
                  file=sys.stderr)
            return None
        with open(fj, encoding="utf-8") as f:
            data = json.load(f)
        with open(fm, encoding="utf-8") as f:
            table = f.read()
    return data, table


def main_peers(args, env):
    cmds, skipped = peer_commands(args)
    for why in skipped:
        print("hyperfine: skipping %s" % why, file=sys.stderr)
    got = run_hyperfine(args, cmds)
    if got is None:
        return EX_OSERR
    data, table = got
    rows, ratios = peer_ratios(data, cmds)
    data["sockpair_env"] = env
    data["sockpair_commands"] = [{"name": c[0], "argv": c[1], "job": c[2],
                                  "pinning": c[3], "impl": c[4]}
                                 for c in cmds]
    data["sockpair_ratios"] = ratios
    data["sockpair_skipped"] = skipped
    md = peers_markdown(env, args, cmds, skipped, table, rows)
    return export.store_and_print("hyperfine", args, env, "hyperfine-peers",
                                  data, md)


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
    p.add_argument("--peers", action="store_true")
    p.add_argument("--peer")
    p.add_argument("--php", default="php")
    p.add_argument("--python", default="/usr/bin/python3")
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
    if args.peers:
        args.peer = args.peer or os.path.join(
            os.path.dirname(os.path.abspath(args.cli)), "sockpair-peer")
        if not os.access(args.peer, os.X_OK):
            print("hyperfine: %s is not an executable sockpair-peer"
                  % args.peer, file=sys.stderr)
            return EX_UNAVAILABLE
    elif not os.access(args.cli, os.X_OK):
        print("hyperfine: %s is not an executable sockpair CLI" % args.cli,
              file=sys.stderr)
        return EX_UNAVAILABLE
    args.hyperfine_version = subprocess.run(
        ["hyperfine", "--version"], capture_output=True, text=True,
        check=False).stdout.strip().replace("hyperfine ", "")

    env = export.capture_env(repo, args.peer if args.peers else args.cli)
    if args.peers:
        return main_peers(args, env)

    cmds, perf_why = commands(args)
    if perf_why:
        print("hyperfine: skipping the perf anchor: " + perf_why,
              file=sys.stderr)
    got = run_hyperfine(args, cmds)
    if got is None:
        return EX_OSERR
    data, table = got
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
