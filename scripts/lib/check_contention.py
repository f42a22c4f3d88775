#!/usr/bin/python3
"""Checks of the contention families of sockpair-bench (BM_Messaging,
BM_Pairs): behaviour, never speed.

  check_contention.py smoke BENCH_BINARY OUT_JSON
  check_contention.py stuck BENCH_BINARY OUT_JSON
  check_contention.py kill9 BENCH_BINARY
  check_contention.py limits BENCH_BINARY
  check_contention.py cli SOCKPAIR_CLI
  check_contention.py anchor SOCKPAIR_CLI SCRATCH_DIR

smoke   a few transports of both families, small sizes: the names, and
        counters that make sense (rates > 0, percentiles ordered, a
        fairness >= 1, loss_pct on UDP only and within 0..100).
stuck   a receiver (messaging) or an echo (pairs) that stops answering,
        with a 1 s deadline: each such benchmark fails with a message, the
        binary exits 1, and no task is left behind.
kill9   SIGKILL to sockpair-bench in the middle of a 320-task messaging
        run: every task it started is gone within 10 s.
limits  descriptor and process limits too low for a configuration: the
        benchmark is a "skip:" naming the limit and the number needed, not
        a failure.
cli     `sockpair messaging`: its key=value line, usage errors (64), a
        stuck receiver, a task killed mid-run and a low limit (71, bounded,
        nothing left behind), an unwritable output (74).
anchor  scripts/messaging-anchor, tiny: its JSON and markdown, perf's
        side or a skip that says why.
"""
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TIMEOUT = 120
PR_SET_CHILD_SUBREAPER = 36

SMOKE_FLAGS = ["--sp_messaging_groups=1,2", "--sp_messaging_loops=5",
               "--sp_pairs=1,4", "--sp_pairs_window_ms=5",
               "--benchmark_min_time=0.01"]
MSG_T = ["unix-stream", "pipe", "unix-dgram", "tcp4", "udp4"]
PAIR_T = ["unix-stream", "eventfd", "udp4"]
SMOKE_FILTER = ("^BM_Messaging/(%s)/|^BM_Pairs/(%s)/"
                % ("|".join(MSG_T), "|".join(PAIR_T)))
PCT = ["p50_us", "p90_us", "p99_us", "p99.9_us"]


def fail(msg):
    print("check_contention: FAIL: %s" % msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("check_contention: ok: %s" % msg)


def run_json(cmd, out, env=None, expect=(0,), **kw):
    r = subprocess.run(cmd + ["--benchmark_out=%s" % out,
                              "--benchmark_out_format=json"],
                       env=env, timeout=TIMEOUT, **kw)
    if r.returncode not in expect:
        fail("%s exited %d, expected %s" % (" ".join(cmd), r.returncode,
                                            expect))
    with open(out, encoding="utf-8") as f:
        return {b["name"]: b for b in json.load(f)["benchmarks"]}


def expected_names():
    names = []
    for t in MSG_T:
        for mode in ("process", "thread"):
            names += ["BM_Messaging/%s/%s/groups:%d/manual_time" % (t, mode, g)
                      for g in (1, 2)]
    for t in PAIR_T:
        for mode in ("process", "thread"):
            names += ["BM_Pairs/%s/%s/pairs:%d/manual_time" % (t, mode, n)
                      for n in (1, 4)]
    return names


def check_percentiles(b, errs):
    p = [b.get(c) for c in PCT]
    if None in p or not 0 < p[0] <= p[1] <= p[2] <= p[3]:
        errs.append("%s: percentiles missing or not ordered: %s"
                    % (b["name"], p))


def check_messaging(b, errs):
    name = b["name"]
    check_percentiles(b, errs)
    if b.get("items_per_second", 0) <= 0 or \
            b.get("bytes_per_second", 0) <= 0:
        errs.append("%s: no items/bytes per second" % name)
    elif abs(b["bytes_per_second"] / b["items_per_second"] - 100) > 1e-6:
        errs.append("%s: bytes per message is not 100" % name)
    if b.get("csw_per_msg", -1) < 0:
        errs.append("%s: csw_per_msg = %s" % (name, b.get("csw_per_msg")))
    if b.get("fairness", 0) < 1:
        errs.append("%s: fairness = %s (slowest / fastest >= 1)"
                    % (name, b.get("fairness")))
    is_udp = "/udp" in name
    if is_udp != ("loss_pct" in b):
        errs.append("%s: loss_pct %s" % (name, "missing" if is_udp else
                                         "set"))
    elif is_udp and not 0 <= b["loss_pct"] < 100:
        errs.append("%s: loss_pct = %s" % (name, b["loss_pct"]))


def check_pairs(b, errs):
    name = b["name"]
    check_percentiles(b, errs)
    for c in ("items_per_second", "rt_per_s_1", "scaling_efficiency"):
        if b.get(c, 0) <= 0:
            errs.append("%s: %s = %s" % (name, c, b.get(c)))


def smoke(binary, out):
    runs = run_json([binary, "--benchmark_filter=" + SMOKE_FILTER] +
                    SMOKE_FLAGS, out)
    errs = ["missing benchmark " + n for n in expected_names()
            if n not in runs]
    for name, b in runs.items():
        if b.get("error_occurred"):
            msg = b.get("error_message", "")
            # A kernel without the transport is the only allowed skip.
            if not msg.startswith("skip: sp_socketpair:"):
                errs.append("%s: failed: %s" % (name, msg))
            continue
        if b.get("iterations", 0) < 1:
            errs.append("%s: no iterations" % name)
        if name.startswith("BM_Messaging/"):
            check_messaging(b, errs)
        elif name.startswith("BM_Pairs/"):
            check_pairs(b, errs)
    if errs:
        fail("\n  " + "\n  ".join(errs))
    ok("%d contention benchmarks, counters sane" % len(runs))
    plots(out)


def plots(run_json):
    """scripts/plot draws both families from the smoke run."""
    if not shutil.which("gnuplot"):
        print("check_contention: gnuplot missing: plots not checked")
        return
    d = tempfile.mkdtemp(prefix="sp-contention-plot-")
    try:
        r = subprocess.run([os.path.join(REPO, "scripts", "plot"), run_json,
                            "--out", d], capture_output=True, text=True,
                           timeout=TIMEOUT)
        if r.returncode != 0:
            fail("scripts/plot exited %d: %s" % (r.returncode, r.stderr))
        stem = os.path.splitext(os.path.basename(run_json))[0]
        for chart in ("messaging", "pairs"):
            for ext in ("png", "svg"):
                f = os.path.join(d, "%s-%s.%s" % (stem, chart, ext))
                if not os.path.getsize(f) if os.path.exists(f) else True:
                    fail("scripts/plot did not write %s" % f)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    ok("scripts/plot drew the messaging and pairs charts")


def session_tasks(sid):
    """Live (not zombie) processes of session sid."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, encoding="utf-8") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(d))
    return pids


def reap_orphans():
    """We are a subreaper: orphaned tasks end up as our children."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail("prctl(PR_SET_CHILD_SUBREAPER): errno %d" % ctypes.get_errno())


def wait_gone(sid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reap_orphans()
        left = session_tasks(sid)
        if not left:
            return []
        time.sleep(0.05)
    return session_tasks(sid)


STUCK = [
    ("BM_Messaging", "^BM_Messaging/(unix-stream|pipe|udp4)/", {
        "SP_BENCH_RECEIVER_HANG": "30"}),
    ("BM_Pairs", "^BM_Pairs/(unix-stream|eventfd)/", {
        "SP_BENCH_PEER_HANG": "20"}),
]
STUCK_ERRORS = ["is stuck", "stopped answering"]


def stuck(binary, out):
    become_subreaper()
    for family, filt, hook in STUCK:
        env = dict(os.environ, SP_BENCH_WATCHDOG_S="1", **hook)
        cmd = [binary, "--benchmark_filter=" + filt,
               "--sp_messaging_groups=1", "--sp_messaging_loops=20",
               "--sp_pairs=1,4", "--sp_pairs_window_ms=5",
               "--benchmark_min_time=0.01"]
        p = subprocess.Popen(cmd + ["--benchmark_out=%s" % out,
                                    "--benchmark_out_format=json"],
                             env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL)
        try:
            rc = p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            fail("%s: a stuck task hung the run" % family)
        left = wait_gone(p.pid, 10)
        if left:
            fail("%s: tasks left behind: %s" % (family, left))
        if rc != 1:
            fail("%s: stuck tasks: exit %d, expected 1" % (family, rc))
        with open(out, encoding="utf-8") as f:
            runs = json.load(f)["benchmarks"]
        if len(runs) < 4:
            fail("%s: %d runs, expected at least 4" % (family, len(runs)))
        for b in runs:
            msg = b.get("error_message", "")
            if not b.get("error_occurred") or not msg.startswith("error:") \
                    or not any(e in msg for e in STUCK_ERRORS):
                fail("%s: '%s'" % (b["name"], msg))
        ok("%s: %d benchmarks with a stuck task failed with a message, "
           "nothing left behind" % (family, len(runs)))


def kill9(binary):
    become_subreaper()
    cmd = [binary, "--benchmark_filter=^BM_Messaging/unix-stream/process/"
           "groups:8/", "--sp_messaging_groups=8",
           "--sp_messaging_loops=100000", "--benchmark_min_time=100"]
    p = subprocess.Popen(cmd, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    n = 0
    while time.monotonic() < deadline and p.poll() is None:
        n = len(session_tasks(p.pid))
        if n >= 321:  # the benchmark and its 320 tasks
            break
        time.sleep(0.05)
    if n < 321:
        p.kill()
        p.wait()
        wait_gone(p.pid, 10)
        fail("the 320 tasks did not start (saw %d processes)" % n)
    time.sleep(0.2)  # mid-run: the tasks are sending
    p.kill()
    p.wait()
    left = wait_gone(p.pid, 10)
    if left:
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        wait_gone(p.pid, 10)
        fail("kill -9 left %d of 320 tasks running" % len(left))
    ok("kill -9 of sockpair-bench mid-run: all 320 tasks gone")


def limited(nofile=None, nproc_user=None):
    def pre():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        if nproc_user:
            os.setgid(65534)
            os.setgroups([])
            os.setuid(65534)
            resource.setrlimit(resource.RLIMIT_NPROC,
                               (nproc_user, nproc_user))
    return pre


def limits(binary):
    cases = [
        ("^BM_Messaging/unix-stream/thread/groups:8/", limited(nofile=100),
         "RLIMIT_NOFILE"),
        ("^BM_Pairs/pipe/thread/pairs:128/", limited(nofile=100),
         "RLIMIT_NOFILE"),
    ]
    if os.geteuid() == 0 and os.access(binary, os.X_OK):
        # RLIMIT_NPROC binds users, not root: run as nobody.
        cases.append(("^BM_Messaging/pipe/process/groups:8/",
                      limited(nproc_user=50), "RLIMIT_NPROC"))
    for filt, pre, limit in cases:
        r = subprocess.run([binary, "--benchmark_filter=" + filt,
                            "--sp_messaging_groups=8", "--sp_pairs=128",
                            "--sp_messaging_loops=5",
                            "--benchmark_format=json"],
                           preexec_fn=pre, capture_output=True, text=True,
                           timeout=TIMEOUT)
        if r.returncode != 0:
            fail("%s under a low %s: exit %d (a skip exits 0): %s"
                 % (filt, limit, r.returncode, r.stderr.strip()[-300:]))
        runs = json.loads(r.stdout)["benchmarks"]
        msg = runs[0].get("error_message", "") if runs else ""
        if not msg.startswith("skip: " + limit) or "needs" not in msg:
            fail("%s under a low %s: '%s'" % (filt, limit, msg))
        ok("%s: %s" % (filt, msg))


KEYS = ["transport", "mode", "groups", "fds", "loops", "size", "tasks",
        "messages", "delivered", "loss_pct", "elapsed_s", "reaped_s",
        "msgs_per_s", "lat_p50_us", "lat_p99_us", "lat_p999_us",
        "csw_per_msg", "fairness"]


def cli_line(cli, args, env=None, preexec=None, expect=0):
    p = subprocess.Popen([cli, "messaging"] + args, env=env,
                         preexec_fn=preexec, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        fail("messaging %s: hung" % " ".join(args))
    left = wait_gone(p.pid, 10)
    if left:
        fail("messaging %s: tasks left behind: %s" % (" ".join(args), left))
    if p.returncode != expect:
        fail("messaging %s: exit %d, expected %d: %s" % (
            " ".join(args), p.returncode, expect, err.strip()[-300:]))
    return out, err


def cli(binary):
    become_subreaper()
    for args in (["--groups", "1", "--loops", "5"],
                 ["--groups", "2", "--loops", "5", "--thread", "--transport",
                  "pipe"],
                 ["--groups", "1", "--loops", "5", "--transport", "udp4"],
                 ["--groups", "1", "--fds", "3", "--loops", "5", "--size",
                  "4096", "--transport", "tcp4"]):
        out, _ = cli_line(binary, args)
        lines = out.splitlines()
        if len(lines) != 1 or not lines[0].startswith("messaging "):
            fail("messaging %s: not one line: %r" % (" ".join(args), out))
        kv = dict(f.split("=", 1) for f in lines[0].split()[1:])
        missing = [k for k in KEYS if k not in kv]
        if missing:
            fail("messaging %s: no %s" % (" ".join(args), missing))
        loss = float(kv["loss_pct"])
        if "udp4" not in args and (kv["delivered"] != kv["messages"] or loss):
            fail("messaging %s: lost messages: %s" % (" ".join(args), out))
        if not 0 <= loss < 100 or float(kv["msgs_per_s"]) <= 0 or \
                float(kv["reaped_s"]) < float(kv["elapsed_s"]):
            fail("messaging %s: %s" % (" ".join(args), out))
    for bad in (["--groups", "0"], ["--bogus", "1"], ["--size", "10"],
                ["--transport", "eventfd"], ["--loops"]):
        cli_line(binary, bad, expect=64)
    env = dict(os.environ, SP_BENCH_RECEIVER_HANG="10")
    _, err = cli_line(binary, ["--groups", "1", "--timeout", "1"], env=env,
                      expect=71)
    if "stuck" not in err:
        fail("a stuck receiver: '%s'" % err.strip())
    _, err = cli_line(binary, ["--groups", "8", "--thread"],
                      preexec=limited(nofile=100), expect=71)
    if "RLIMIT_NOFILE" not in err:
        fail("a low RLIMIT_NOFILE: '%s'" % err.strip())
    killed_task(binary)
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            r = subprocess.run([binary, "messaging", "--groups", "1",
                                "--loops", "2"], stdout=full,
                               stderr=subprocess.PIPE, timeout=TIMEOUT)
        if r.returncode != 74:
            fail("output to /dev/full: exit %d, expected 74" % r.returncode)
    ok("sockpair messaging: lines, usage errors, a stuck receiver, a killed "
       "task, a low limit, an unwritable output")


def killed_task(binary):
    """A task killed mid-run: the run fails (71), soon, and says so."""
    p = subprocess.Popen([binary, "messaging", "--groups", "2", "--loops",
                          "100000"], start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + 60
    tasks = []
    while time.monotonic() < deadline and len(tasks) < 80:
        tasks = [t for t in session_tasks(p.pid) if t != p.pid]
        time.sleep(0.05)
    if len(tasks) < 80:
        os.killpg(p.pid, signal.SIGKILL)
        fail("messaging --groups 2: %d tasks started, expected 80"
             % len(tasks))
    os.kill(tasks[len(tasks) // 2], signal.SIGKILL)
    try:
        _, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        fail("a killed task hung the run")
    left = wait_gone(p.pid, 10)
    if p.returncode != 71 or left or "error:" not in err:
        fail("a killed task: exit %d, left %s, '%s'" % (p.returncode, left,
                                                       err.strip()))


def anchor(binary, scratch):
    res = os.path.join(scratch, "anchor")
    shutil.rmtree(res, ignore_errors=True)
    r = subprocess.run([os.path.join(REPO, "scripts", "messaging-anchor"),
                        "--cli", binary, "--groups", "1", "--loops", "5",
                        "--rounds", "1", "--results", res, "--kernel", "k"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        fail("messaging-anchor exited %d: %s" % (r.returncode, r.stderr))
    files = sorted(os.listdir(os.path.join(res, "k")))
    if len(files) != 2 or not files[0].startswith("messaging-anchor-"):
        fail("messaging-anchor wrote %s" % files)
    with open(os.path.join(res, "k", files[0]), encoding="utf-8") as f:
        doc = json.load(f)
    if len(doc["cells"]) != 4 or not doc["sockpair_env"]:
        fail("messaging-anchor JSON: %d cells" % len(doc["cells"]))
    for c in doc["cells"]:
        if len(c["sockpair"]) != 1 or ("perf_skipped" not in doc and
                                       len(c["perf"]) != 1):
            fail("messaging-anchor cell %s: %s" % (c["config"], c))
    if "perf_skipped" in doc and "perf" not in doc["perf_skipped"]:
        fail("messaging-anchor: a skip that does not say why")
    with open(os.path.join(res, "k", files[1]), encoding="utf-8") as f:
        if "| socket process | 1 |" not in f.read():
            fail("messaging-anchor markdown: no table")
    r = subprocess.run([os.path.join(REPO, "scripts", "messaging-anchor"),
                        "--cli", binary, "--loops", "0"],
                       capture_output=True, timeout=60)
    if r.returncode != 64:
        fail("messaging-anchor --loops 0: exit %d" % r.returncode)
    ok("messaging-anchor: JSON + markdown%s" % (
        " (perf skipped: %s)" % doc["perf_skipped"]
        if "perf_skipped" in doc else ", perf beside sockpair"))


def main(argv):
    if len(argv) == 3 and argv[0] in ("smoke", "stuck", "anchor"):
        {"smoke": smoke, "stuck": stuck, "anchor": anchor}[argv[0]](
            argv[1], argv[2])
    elif len(argv) == 2 and argv[0] in ("kill9", "limits", "cli"):
        {"kill9": kill9, "limits": limits, "cli": cli}[argv[0]](argv[1])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv[1:])
