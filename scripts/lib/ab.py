"""scripts/bench --ab: two ways of running the suite on this machine,
interleaved (randomised multiple interleaved trials), then compared.

ab.py --bench BIN [--build DIR] [--results DIR] [--rounds N] [--timeout S]
      [--seed S] [--no-record] CMD_A CMD_B [BENCH_FLAGS...]

CMD_A and CMD_B are shell commands (bash -c) that run a sockpair-bench;
the suite's flags, a --benchmark_repetitions for one round and a
--benchmark_out are appended to them ("$@"), and $SP_BENCH names BIN (this
checkout's build).  The suite's repetitions are dealt over N rounds
(default 5); in each round A and B run once each, in an order drawn at
random, so that whatever the machine does falls on both sides alike.  Each
invocation is bounded by --timeout seconds (default 900; its process group
is killed) and stored as a real run, with the environment captured just
before it and a "sockpair_ab" block in its context, under
DIR/<kernel>/ab/<UTC stamp>-<host>/{a,b}/round-NN.json (DIR: results/).
The set is built in a hidden directory and renamed into place at the end:
it appears whole or not at all.  Then scripts/compare A B runs on it.

Exit: compare's (0, or 3 on a regression); 64 usage; 65 a command wrote no
usable run; 70 a command failed (exit status other than 0 or 1: 1 is
sockpair-bench's "a benchmark failed", kept as scripts/bench does); 73 the
results could not be stored; 75 a command timed out.
"""
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import env as envmod  # noqa: E402
import record  # noqa: E402
import results as R  # noqa: E402

EX_USAGE, EX_DATAERR, EX_SOFTWARE, EX_CANTCREAT, EX_TEMPFAIL = \
    64, 65, 70, 73, 75
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class Stop(Exception):
    """Ends the run with an exit status and a message."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def usage(msg):
    raise Stop(EX_USAGE, "%s (see scripts/bench --help)" % msg)


def parse(argv):
    opts = {"--bench": None, "--build": None, "--results":
            os.path.join(REPO, "results"), "--rounds": "5",
            "--timeout": "900", "--seed": None}
    record_it = True
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        a = argv[i]
        if a == "--no-record":
            record_it = False
            i += 1
            continue
        if a not in opts or i + 1 >= len(argv):
            usage("ab: unknown option or missing value: %s" % a)
        opts[a] = argv[i + 1]
        i += 2
    if len(argv) - i < 2:
        usage("--ab needs two commands, CMD_A and CMD_B")
    if not opts["--bench"]:
        usage("ab: --bench BIN is needed")
    for k in ("--rounds", "--timeout"):
        if not opts[k].isdigit() or int(opts[k]) < 1:
            usage("%s needs a positive whole number" % k)
    for c in argv[i:i + 2]:
        if not c.strip() or c.startswith("-"):
            usage("--ab needs two commands, CMD_A and CMD_B (got '%s')" % c)
    return opts, record_it, argv[i], argv[i + 1], argv[i + 2:]


def repetitions(flags):
    """The suite's repetitions: the last --benchmark_repetitions (1)."""
    reps = 1
    for f in flags:
        if f.startswith("--benchmark_repetitions="):
            v = f.split("=", 1)[1]
            if not v.isdigit() or int(v) < 1:
                usage("bad %s" % f)
            reps = int(v)
    return reps


def env_now(build):
    args = record._default_env_args(REPO)
    args.build = build
    return envmod.capture(args)


def run_one(cmd, flags, out, log, bench, timeout):
    """Runs one side once; returns its exit status (0 or 1)."""
    env = dict(os.environ, SP_BENCH=bench)
    argv = ["bash", "-c", cmd + ' "$@"', "sp-ab"] + flags + [
        "--benchmark_out=" + out, "--benchmark_out_format=json"]
    with open(log, "w", encoding="utf-8") as f:
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise Stop(EX_TEMPFAIL, "'%s' ran longer than %d s (its log: %s)"
                       % (cmd, timeout, log)) from None
        except BaseException:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise
    if rc not in (0, 1):
        raise Stop(EX_SOFTWARE, "'%s' exited %d (its log: %s)" % (cmd, rc,
                                                                   log))
    return rc


def stored_run(out, cmd, env, ab):
    """The run the command wrote, with the environment and the A/B block
    in its context; raises Stop when it is not a usable run."""
    try:
        with open(out, encoding="utf-8") as f:
            run = json.load(f)
        if not isinstance(run, dict) or not isinstance(run.get("benchmarks"),
                                                       list):
            raise R.LoadError(out, 'no "benchmarks" list')
        R.check_run(out, run)
    except (OSError, ValueError, R.LoadError) as e:
        raise Stop(EX_DATAERR, "'%s' wrote no usable Google Benchmark run: "
                   "%s" % (cmd, e)) from None
    ctx = run.get("context")
    if not isinstance(ctx, dict):
        ctx = run["context"] = {}
    ctx["sockpair_env"] = env
    ctx["sockpair_ab"] = ab
    return run


class Trial:
    """One --ab run: its settings and the hidden directory it fills."""

    def __init__(self, opts, cmds, flags):
        self.opts, self.cmds = opts, cmds
        self.rounds = int(opts["--rounds"])
        self.reps = max(1, math.ceil(repetitions(flags) / self.rounds))
        self.flags = flags + ["--benchmark_repetitions=%d" % self.reps]
        seed = opts["--seed"]
        self.seed = int(seed) if seed and seed.isdigit() else \
            random.SystemRandom().randrange(1 << 31)
        self.rng = random.Random(self.seed)
        self.stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.failed = 0

    def round(self, work, n):
        order = self.rng.sample(["a", "b"], 2)
        print("ab: round %d/%d: %s" % (n, self.rounds, " then ".join(
            x.upper() for x in order)), file=sys.stderr, flush=True)
        for side in order:
            cmd = self.cmds[side]
            env = env_now(self.opts["--build"])
            base = os.path.join(work, side, "round-%02d" % n)
            out = base + ".tmp-json"
            rc = run_one(cmd, self.flags + [
                "--benchmark_context=ab_side=%s" % side], out, base + ".log",
                self.opts["--bench"], int(self.opts["--timeout"]))
            self.failed += rc
            run = stored_run(out, cmd, env, {
                "side": side, "command": cmd, "round": n,
                "rounds": self.rounds, "order": "".join(order),
                "repetitions_per_round": self.reps, "seed": self.seed,
                "stamp": self.stamp})
            os.unlink(out)
            record.atomic_store(os.path.join(work, side), "round-%02d" % n,
                                (json.dumps(run, indent=2) + "\n")
                                .encode("utf-8"))

    def run(self, work):
        for side in ("a", "b"):
            os.makedirs(os.path.join(work, side))
        for n in range(1, self.rounds + 1):
            self.round(work, n)


def place(work, parent, name):
    """Renames the finished hidden directory to parent/name (-2, -3 …
    when taken); returns the path."""
    for k in range(1, 100):
        dest = os.path.join(parent, name if k == 1 else "%s-%d" % (name, k))
        try:
            os.rename(work, dest)  # fails when dest exists and is not empty
            return dest
        except OSError:
            if not os.path.exists(dest):
                raise
    raise Stop(EX_CANTCREAT, "no free name for %s in %s" % (name, parent))


def main(argv):
    opts, record_it, cmd_a, cmd_b, flags = parse(argv)
    trial = Trial(opts, {"a": cmd_a, "b": cmd_b}, flags)
    host = record.safe_name(os.uname().nodename, "host")
    parent = os.path.join(opts["--results"], record.safe_name(
        os.uname().release, "kernel"), "ab") if record_it else \
        os.environ.get("TMPDIR", "/tmp")
    name = "%s-%s" % (trial.stamp, host) if record_it else \
        "sp-ab-%s-%d" % (trial.stamp, os.getpid())
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise Stop(EX_CANTCREAT, "cannot create %s: %s" % (parent, e.strerror))
    work = os.path.join(parent, ".%s.%d.tmp" % (name, os.getpid()))
    print("ab: A = %s\nab: B = %s\nab: %d rounds of %d repetition(s) each, "
          "order drawn with seed %d" % (cmd_a, cmd_b, trial.rounds,
                                        trial.reps, trial.seed),
          file=sys.stderr, flush=True)
    try:
        trial.run(work)
        dest = place(work, parent, name)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    print("ab: stored %s/{a,b}%s" % (dest, "" if record_it else
                                     " (not recorded: kept here)"),
          file=sys.stderr)
    if trial.failed:
        print("ab: some benchmarks failed (see FAILED in the logs beside "
              "the runs)", file=sys.stderr)
    sys.stdout.flush()
    rc = subprocess.run([os.path.join(REPO, "scripts", "compare"),
                         os.path.join(dest, "a"), os.path.join(dest, "b")],
                        check=False).returncode
    return rc


def on_term(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    try:
        sys.exit(main(sys.argv[1:]))
    except Stop as e:
        print("ab: %s" % e, file=sys.stderr)
        sys.exit(e.code)
    except KeyboardInterrupt:
        print("ab: interrupted; nothing stored", file=sys.stderr)
        sys.exit(130)
