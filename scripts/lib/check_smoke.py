#!/usr/bin/python3
"""Smoke test of sockpair-bench: every family once with a tiny min time.

  check_smoke.py BENCH_BINARY OUT_JSON
  check_smoke.py --expect-no-match BENCH_BINARY
  check_smoke.py --stuck-peer BENCH_BINARY OUT_JSON

Asserts the JSON holds the expected benchmark names and counters, that
the counters are sane (p50 <= p90 <= p99 <= p99.9, 0 <= loss <= 100,
context switches >= 0) and that nothing failed except the documented
skips. Never asserts speed. --stuck-peer makes every echo peer stop
answering after a few round trips (SP_BENCH_PEER_HANG) with a 1 s deadline
(SP_BENCH_WATCHDOG_S) and asserts that each such benchmark fails with a
message, in bounded time, and that the binary exits 1.
"""
import json
import os
import subprocess
import sys

TIMEOUT = 100

LATENCY = ["unix-stream", "udp4", "pipe"]
THROUGHPUT = ["unix-dgram", "udp4"]
CREATE = ["unix-stream", "tcp4/iterations:500", "udp6", "raw-socketpair",
          "raw-pipe2"]
FILTER = ("^BM_Latency/(unix-stream|udp4|pipe)/.*/bytes:64/"
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


def main(argv):
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
