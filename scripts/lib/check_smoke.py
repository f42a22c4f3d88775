#!/usr/bin/python3
"""Smoke test of sockpair-bench: every family once with a tiny min time.

  check_smoke.py BENCH_BINARY OUT_JSON
  check_smoke.py --expect-no-match BENCH_BINARY
  check_smoke.py --stuck-peer BENCH_BINARY OUT_JSON
  check_smoke.py --io BENCH_BINARY OUT_JSON
  check_smoke.py --io-skip DENY_URING BENCH_BINARY OUT_JSON
  check_smoke.py --io-stuck-peer BENCH_BINARY OUT_JSON
  check_smoke.py --io-strace BENCH_BINARY OUT_JSON

Asserts the JSON holds the expected benchmark names and counters, that
the counters are sane (p50 <= p90 <= p99 <= p99.9, 0 <= loss <= 100,
context switches >= 0) and that nothing failed except the documented
skips. Never asserts speed. --stuck-peer makes every echo peer stop
answering after a few round trips (SP_BENCH_PEER_HANG) with a 1 s deadline
(SP_BENCH_WATCHDOG_S) and asserts that each such benchmark fails with a
message, in bounded time, and that the binary exits 1.

--io runs every I/O path once (io:uring latency and throughput, io:mmsg,
MSG_ZEROCOPY, send_zc) beside the io:syscall rows and asserts what each
path is for: syscalls_per_msg on every row, both sides adding up, an
io:uring hop one io_uring_enter per side, a batch of 8 at most a fraction
of a call per message, zero-copy notifications counted. --io-skip runs the
io:uring rows with io_uring_setup refused by seccomp (ENOSYS, then EPERM)
and asserts each is a documented skip naming the reason while the
io:syscall rows still run. --io-stuck-peer is --stuck-peer for io:uring,
process and thread peers. --io-strace runs a few rows with a fixed
iteration count (SP_BENCH_ITERATIONS) under `strace -f -c` and asserts
that the system calls strace saw on the message path are the ones
syscalls_per_msg reports (exit 77, a skip, without strace).
"""
import json
import os
import shutil
import subprocess
import sys

TIMEOUT = 100

LATENCY = ["unix-stream", "udp4", "pipe"]
THROUGHPUT = ["unix-dgram", "udp4"]
CREATE = ["unix-stream", "tcp4/iterations:500", "udp6", "raw-socketpair",
          "raw-pipe2"]
FILTER = ("^BM_Latency/(unix-stream|udp4|pipe)/[^/]+/[^/]+/bytes:64/"
          "|^BM_Throughput/(unix-dgram|udp4)/same-cpu/buf:default/"
          "bytes:(64|65536)/"
          "|^BM_Create/(unix-stream|tcp4|udp6|raw-socketpair|raw-pipe2)$"
          "|^BM_Create/tcp4/"
          "|^BM_Stream[A-Za-z]*/(unix-stream)/"
          "|^BM_Floor/")

LAT_COUNTERS = ["p50_us", "p90_us", "p99_us", "p99.9_us", "mean_us",
                "csw_per_rt", "csw_self_per_rt", "csw_peer_per_rt"]

# The only failures allowed: documented skips, for these reasons.
SKIP_REASONS = ["EMSGSIZE", "diff-cpu needs 2 CPUs", "skip: sp_socketpair:"]


def expected_names():
    names = []
    for t in LATENCY:
        for mode in ("process", "thread"):
            for pin in ("same-cpu", "diff-cpu", "unpinned"):
                names.append(f"BM_Latency/{t}/{mode}/{pin}/bytes:64"
                             "/manual_time")
    for t in THROUGHPUT:
        for size in (64, 65536):
            names.append(f"BM_Throughput/{t}/same-cpu/buf:default/"
                         f"bytes:{size}/manual_time")
    names += [f"BM_Create/{t}" for t in CREATE]
    names += ["BM_Floor/getppid", "BM_Floor/clock_gettime"]
    names += [f"BM_Floor/memcpy/bytes:{n}" for n in (64, 4096, 65536,
                                                     1048576)]
    for api in ("raw", "stream"):
        names.append(f"BM_StreamLine/unix-stream/{api}/bytes:64"
                     "/manual_time")
        names.append(f"BM_StreamBulk/unix-stream/{api}/bytes:65536"
                     "/manual_time")
    return names


def fail(msg):
    print(f"check_smoke: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check_latency(b, errs):
    for c in LAT_COUNTERS:
        if c not in b:
            errs.append(f"{b['name']}: no counter {c}")
            return
    p = [b["p50_us"], b["p90_us"], b["p99_us"], b["p99.9_us"]]
    if not (0 < p[0] <= p[1] <= p[2] <= p[3]):
        errs.append(f"{b['name']}: percentiles not ordered: {p}")
    if b["mean_us"] <= 0:
        errs.append(f"{b['name']}: mean {b['mean_us']}")
    for c in ("csw_per_rt", "csw_self_per_rt", "csw_peer_per_rt"):
        if b[c] < 0:
            errs.append(f"{b['name']}: {c} = {b[c]}")


def check_throughput(b, errs):
    if b.get("bytes_per_second", 0) <= 0 or b.get("items_per_second", 0) <= 0:
        errs.append(f"{b['name']}: no bytes/items per second")
    is_udp = "/udp" in b["name"]
    if is_udp != ("loss_pct" in b):
        errs.append(f"{b['name']}: loss_pct {'missing' if is_udp else 'set'}")
    elif is_udp and not 0 <= b["loss_pct"] <= 100:
        errs.append(f"{b['name']}: loss_pct = {b['loss_pct']}")


def check(doc):
    errs = []
    runs = {b["name"]: b for b in doc.get("benchmarks", [])}
    for name in expected_names():
        if name not in runs:
            errs.append(f"missing benchmark {name}")
    for name, b in runs.items():
        if b.get("error_occurred"):
            msg = b.get("error_message", "")
            if not msg.startswith("skip:") or \
                    not any(r in msg for r in SKIP_REASONS):
                errs.append(f"{name}: failed: {msg}")
            continue
        if name.startswith("BM_Latency/"):
            check_latency(b, errs)
        elif name.startswith("BM_Throughput/"):
            check_throughput(b, errs)
        elif name.startswith("BM_Stream"):
            if "items_per_second" not in b:
                errs.append(f"{name}: no items_per_second")
        if b.get("iterations", 0) < 1:
            errs.append(f"{name}: no iterations")
    # The documented skip of this filter: UDP cannot carry 64 KiB.
    udp = runs.get("BM_Throughput/udp4/same-cpu/buf:default/bytes:65536"
                   "/manual_time", {})
    if udp and "EMSGSIZE" not in udp.get("error_message", ""):
        errs.append("udp4 64 KiB: expected a skip with EMSGSIZE")
    return errs


def no_match(binary):
    r = subprocess.run([binary, "--benchmark_filter=^NoSuchBenchmark$"],
                       capture_output=True, timeout=TIMEOUT)
    if r.returncode == 0:
        fail("a filter matching nothing exited 0")
    print(f"check_smoke: ok: a filter matching nothing exits {r.returncode}")


STUCK_FILTER = "^BM_Latency/(unix-stream|udp4|pipe)/.*/same-cpu/bytes:64/"
STUCK_ERRORS = ["the peer died", "the watchdog's deadline passed",
                "the peer closed early", "ECONNRESET", "EPIPE",
                "ECONNREFUSED", "killed by signal"]


def stuck_peer(binary, out):
    env = dict(os.environ, SP_BENCH_PEER_HANG="20", SP_BENCH_WATCHDOG_S="1")
    # A min time far above 20 round trips: on a loaded machine one slow
    # first iteration must not end the run before the peer gets stuck.
    cmd = [binary, f"--benchmark_filter={STUCK_FILTER}",
           "--benchmark_min_time=0.5", f"--benchmark_out={out}",
           "--benchmark_out_format=json"]
    r = subprocess.run(cmd, env=env, timeout=TIMEOUT)
    if r.returncode != 1:
        fail(f"stuck peers: exit {r.returncode}, expected 1")
    with open(out) as f:
        runs = json.load(f)["benchmarks"]
    if len(runs) != 6:
        fail(f"stuck peers: {len(runs)} runs, expected 6")
    for b in runs:
        msg = b.get("error_message", "")
        if not b.get("error_occurred") or not msg.startswith("error:") or \
                not any(e in msg for e in STUCK_ERRORS):
            fail(f"stuck peers: {b['name']}: '{msg}'")
    print(f"check_smoke: ok: {len(runs)} stuck peers failed their benchmark")


IO_T = "(unix-stream|unix-dgram|unix-seqpacket|tcp4|udp4|pipe)"
IO_FILTER = (f"^BM_Latency/{IO_T}/(process|thread)/same-cpu/(io:uring/)?"
             "bytes:64/"
             f"|^BM_Throughput/{IO_T}/same-cpu/buf:default/"
             "(io:(uring|mmsg)/batch:8/)?bytes:(64|65536)/"
             "|^BM_Throughput/tcp4/same-cpu/buf:4MiB/"
             "(io:(uring|uring-zc)/batch:8/|io:zerocopy/)?bytes:65536/")
SYS = ["syscalls_per_msg", "syscalls_self_per_msg", "syscalls_peer_per_msg"]


def io_name(t, lat, io, batch=None, size=64, buf="default"):
    seg = "" if io == "syscall" else f"io:{io}/"
    if batch:
        seg += f"batch:{batch}/"
    if lat:
        return f"BM_Latency/{t}/{lat}/same-cpu/{seg}bytes:{size}/manual_time"
    return f"BM_Throughput/{t}/same-cpu/buf:{buf}/{seg}bytes:{size}/manual_time"


def io_expected():
    names = []
    for t in IO_T[1:-1].split("|"):
        for mode in ("process", "thread"):
            names += [io_name(t, mode, "syscall"), io_name(t, mode, "uring")]
        for size in (64, 65536):
            names += [io_name(t, None, "syscall", size=size),
                      io_name(t, None, "uring", 8, size)]
            if t in ("unix-dgram", "unix-seqpacket", "udp4"):
                names.append(io_name(t, None, "mmsg", 8, size))
    for io, batch in (("syscall", None), ("uring", 8), ("zerocopy", None),
                      ("uring-zc", 8)):
        names.append(io_name("tcp4", None, io, batch, 65536, "4MiB"))
    return names


def io_row(name, b, errs):
    """What each path is for, from its counters."""
    if any(c not in b for c in SYS):
        errs.append(f"{name}: no {' '.join(c for c in SYS if c not in b)}")
        return
    total, me, peer = (b[c] for c in SYS)
    if me < 0 or peer < 0 or abs(total - me - peer) > 1e-6 * max(1, total):
        errs.append(f"{name}: syscalls {total} != {me} + {peer}")
    lat = name.startswith("BM_Latency/")
    if lat and "/io:uring/" in name and not 1 <= me <= 1.05:
        errs.append(f"{name}: {me} io_uring_enter per round trip, not 1")
    if lat and "/io:" not in name and me < 2:
        errs.append(f"{name}: {me} syscalls per round trip, fewer than 2")
    # A batch of 8 amortizes once there are batches: fewer than one call a
    # message (io:syscall's floor), even with a few more waits under load.
    if "/batch:8/" in name and b.get("iterations", 0) >= 64 and me > 0.75:
        errs.append(f"{name}: {me} sender syscalls per message in batches of 8")
    label = b.get("label", "")
    if "/io:uring" in name and "ring=" not in label:
        errs.append(f"{name}: the label has no ring set-up: '{label}'")
    if "/io:uring" in name and not lat and not any(
            k in label for k in ("recv=multishot", "recv=recv", "recv=read")):
        errs.append(f"{name}: the label does not say how it receives: "
                    f"'{label}'")
    if "zerocopy/" in name or "uring-zc/" in name:
        if not b.get("zc_notifs_per_msg", 0) > 0:
            errs.append(f"{name}: no zero-copy notifications counted")
        if "zc_copied_pct" in b and not 0 <= b["zc_copied_pct"] <= 100:
            errs.append(f"{name}: zc_copied_pct = {b['zc_copied_pct']}")


def run_json(cmd, out, env=None):
    r = subprocess.run(cmd + [f"--benchmark_out={out}",
                              "--benchmark_out_format=json"],
                       env=env, timeout=TIMEOUT)
    with open(out) as f:
        return r.returncode, {b["name"]: b for b in json.load(f)["benchmarks"]}


def io_smoke(binary, out):
    rc, runs = run_json([binary, f"--benchmark_filter={IO_FILTER}",
                         "--benchmark_min_time=0.01"], out)
    if rc != 0:
        fail(f"io paths: exit {rc}")
    errs = [f"missing benchmark {n}" for n in io_expected() if n not in runs]
    for name, b in runs.items():
        if b.get("error_occurred"):
            msg = b.get("error_message", "")
            if not msg.startswith("skip:") or not any(
                    r in msg for r in SKIP_REASONS + ["skip: io"]):
                errs.append(f"{name}: failed: {msg}")
            continue
        io_row(name, b, errs)
    if errs:
        fail("\n  " + "\n  ".join(errs))
    print(f"check_smoke: ok: {len(runs)} benchmarks of the io paths")


IO_SKIP_FILTER = ("^BM_Latency/(unix-stream|pipe)/process/same-cpu/"
                  "(io:uring/)?bytes:64/"
                  "|^BM_Throughput/(unix-dgram|tcp4)/same-cpu/buf:default/"
                  "(io:uring/batch:8/)?bytes:64/")


def io_skip(deny, binary, out):
    for errno_name in ("ENOSYS", "EPERM"):
        cmd = [deny, errno_name, binary, f"--benchmark_filter={IO_SKIP_FILTER}",
               "--benchmark_min_time=0.01"]
        rc, runs = run_json(cmd, out)
        if rc == 77:
            print("check_smoke: skipped: deny_uring knows no such architecture")
            sys.exit(77)
        if rc != 0 or len(runs) != 8:
            fail(f"io_uring refused ({errno_name}): exit {rc}, {len(runs)} runs")
        for name, b in runs.items():
            msg = b.get("error_message", "")
            if "/io:uring/" in name:
                if not msg.startswith(f"skip: io_uring_setup: {errno_name}"):
                    fail(f"{name}: not a skip with {errno_name}: '{msg}'")
            elif b.get("error_occurred"):
                fail(f"{name}: io:syscall failed without io_uring: '{msg}'")
    print("check_smoke: ok: without io_uring (ENOSYS, EPERM) the io:uring "
          "rows skip with the reason")


def io_stuck_peer(binary, out):
    # Stuck after one answer: Google Benchmark's second run (more than one
    # round trip) reaches it even when a loaded machine makes them slow.
    env = dict(os.environ, SP_BENCH_PEER_HANG="1", SP_BENCH_WATCHDOG_S="1")
    filt = ("^BM_Latency/(unix-stream|udp4|pipe)/(process|thread)/same-cpu/"
            "io:uring/bytes:64/")
    # A min time far above one round trip: under ASan on a loaded machine
    # one round trip can take 10 ms, and a run that stopped after it would
    # never reach the hang.
    rc, runs = run_json([binary, f"--benchmark_filter={filt}",
                         "--benchmark_min_time=0.5"], out, env)
    if rc != 1 or len(runs) != 6:
        fail(f"io stuck peers: exit {rc} with {len(runs)} runs, "
             "expected 1 with 6")
    for name, b in runs.items():
        msg = b.get("error_message", "")
        if not b.get("error_occurred") or not msg.startswith("error:") or \
                not any(e in msg for e in STUCK_ERRORS):
            fail(f"io stuck peers: {name}: '{msg}'")
    print(f"check_smoke: ok: {len(runs)} stuck io:uring peers failed their "
          "benchmark")


# Rows whose message path uses only these calls (sockets: send() is
# sendto, recv() is recvfrom); outside the timed loop each makes at most a
# few more (the ready message).
STRACE_ROWS = [
    "BM_Latency/unix-stream/process/same-cpu/bytes:64/manual_time",
    "BM_Latency/unix-stream/process/same-cpu/io:uring/bytes:64/manual_time",
    "BM_Latency/udp4/thread/same-cpu/io:uring/bytes:64/manual_time",
    "BM_Throughput/unix-dgram/same-cpu/buf:default/io:mmsg/batch:8/bytes:64"
    "/manual_time",
    "BM_Throughput/unix-seqpacket/same-cpu/buf:default/io:uring/batch:8/"
    "bytes:64/manual_time",
]
STRACE_CALLS = "io_uring_enter,sendto,recvfrom,sendmmsg,recvmmsg,poll"
STRACE_N = 2000


def strace_count(summary):
    """The total of the calls column of an `strace -c` table."""
    total = 0
    for line in summary.splitlines():
        f = line.split()
        if len(f) >= 5 and f[-1] in STRACE_CALLS.split(",") and \
                f[3].isdigit():
            total += int(f[3])
    return total


def io_strace(binary, out):
    if not shutil.which("strace"):
        print("check_smoke: skipped: no strace (Debian package strace)")
        sys.exit(77)
    env = dict(os.environ, SP_BENCH_ITERATIONS=str(STRACE_N))
    # LeakSanitizer cannot run under ptrace: the ASan build's leak check at
    # exit would fail the run (leaks are the other ctests' business).
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "detect_leaks=0"
    for row in STRACE_ROWS:
        name = row[:-len("/manual_time")]
        # The names hold no regex metacharacter.
        filt = "^" + name + "(/iterations:[0-9]+)?/manual_time$"
        summary = out + ".strace"
        rc, runs = run_json(["strace", "-f", "-c", "-o", summary,
                             "-e", f"trace={STRACE_CALLS}", binary,
                             f"--benchmark_filter={filt}"], out, env)
        if rc != 0 or len(runs) != 1:
            fail(f"strace {name}: exit {rc}, {len(runs)} runs")
        b = next(iter(runs.values()))
        if b.get("error_occurred") or b.get("iterations") != STRACE_N:
            fail(f"strace {name}: {b.get('error_message')} "
                 f"({b.get('iterations')} iterations)")
        with open(summary) as f:
            seen = strace_count(f.read())
        said = b["syscalls_per_msg"] * STRACE_N
        if not said <= seen <= said + 8:
            fail(f"strace {name}: strace saw {seen} calls, the counter says "
                 f"{said:.0f} ({b['syscalls_per_msg']:.3f} per message)")
        print(f"check_smoke: ok: {name}: strace {seen}, counted {said:.0f}")


def main(argv):
    modes = {"--io": (io_smoke, 3), "--io-skip": (io_skip, 4),
             "--io-stuck-peer": (io_stuck_peer, 3),
             "--io-strace": (io_strace, 3)}
    if argv[:1] and argv[0] in modes and len(argv) == modes[argv[0]][1]:
        modes[argv[0]][0](*argv[1:])
        return
    if argv[:1] == ["--expect-no-match"]:
        no_match(argv[1])
        return
    if argv[:1] == ["--stuck-peer"] and len(argv) == 3:
        stuck_peer(argv[1], argv[2])
        return
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    binary, out = argv
    cmd = [binary, f"--benchmark_filter={FILTER}",
           "--benchmark_min_time=0.01", f"--benchmark_out={out}",
           "--benchmark_out_format=json"]
    r = subprocess.run(cmd, timeout=TIMEOUT)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}")
    with open(out) as f:
        doc = json.load(f)
    errs = check(doc)
    if errs:
        fail("\n  " + "\n  ".join(errs))
    print(f"check_smoke: ok: {len(doc['benchmarks'])} benchmarks")


if __name__ == "__main__":
    main(sys.argv[1:])
