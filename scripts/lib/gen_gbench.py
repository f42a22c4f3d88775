"""Google Benchmark JSON with known distributions, for the tests.

gen_gbench.py OUT --seed S [--scale F] [--reps N] [--env ENV_JSON]
  [--vm ACCEL] [--ctx C] [--sysctl KEY=VALUE] [--suite NAME]
  [--from RUN.json] [--shift REGEX=F]... [--scaling] [--canaries]
  [--break KIND]

Synthetic (default): three benchmarks, each N repetitions of real_time ~
base * scale * (1 + 5 % gaussian noise), with counters p50/p99 (scaled too),
bytes_per_second (inversely scaled) and ctx_switches_per_rt (= C, default
2.0).  --scaling adds BM_Messaging (groups 1-8) and BM_Pairs (pairs 1-32)
families, scaled the same way.  --canaries adds the canaries of
sockpair-bench --sp_canaries (BM_Canary/<syscall|memcpy|pipe-pingpong|
pipe-xcpu|pipe-bulk>/at:<start|mid|end>, 5 repetitions each), scaled the
same way.

--from RUN.json: every benchmark of a real run instead, each repetition
drawn (with the seed) from that benchmark's own repetitions: the same
names, counters and spread as the real run.  --shift REGEX=F (synthetic or
--from) multiplies the times and the *_us counters of the benchmarks whose
name matches by F and divides their rates by F (F > 1: slower).

--break KIND writes a broken file instead: malformed (cut JSON), not-gb
(JSON without "benchmarks"), no-cpu-time, nan (a NaN real_time), empty (no
entries), no-name.
"""
import argparse
import json
import math
import random
import re

BENCHES = [("BM_PingPong/unix-stream/64/manual_time", 23000.0),
           ("BM_PingPong/pipe/64/manual_time", 14000.0),
           ("BM_Stream/tcp4/65536/manual_time", 40000.0)]
CANARIES = [("BM_Canary/syscall/at:%s", 300.0),
            ("BM_Canary/memcpy/at:%s/bytes:65536", 2000.0),
            ("BM_Canary/pipe-pingpong/at:%s/bytes:64/manual_time", 14000.0),
            ("BM_Canary/pipe-xcpu/at:%s/bytes:64/manual_time", 18000.0),
            ("BM_Canary/pipe-bulk/at:%s/bytes:1048576/manual_time", 4e5)]
SCALING = [("BM_Messaging/%s/process/groups:%d/manual_time", (1, 2, 4, 8)),
           ("BM_Pairs/%s/process/pairs:%d/manual_time", (1, 2, 4, 8, 32))]


def synthetic(a, rng):
    entries = []
    for fam, (name, base) in enumerate(BENCHES):
        for i in range(a.reps):
            t = base * a.scale * (1.0 + 0.05 * rng.gauss(0.0, 1.0))
            entries.append({
                "name": name, "family_index": fam,
                "per_family_instance_index": 0, "run_name": name,
                "run_type": "iteration", "repetitions": a.reps,
                "repetition_index": i, "threads": 1, "iterations": 1000,
                "real_time": t, "cpu_time": t * 0.3, "time_unit": "ns",
                "p50": t / 1000.0,
                "p99": 4 * t / 1000.0 * (1 + 0.3 * rng.random()),
                "bytes_per_second": 64e9 / t, "ctx_switches_per_rt": a.ctx,
            })
    return entries


def canaries(a, rng):
    """The canaries at the three positions, 5 repetitions each, 5 % noise."""
    entries = []
    for pos in ("start", "mid", "end"):
        for fam, (pattern, base) in enumerate(CANARIES):
            name = pattern % pos
            for i in range(5):
                t = base * a.scale * (1.0 + 0.05 * rng.gauss(0.0, 1.0))
                entries.append({
                    "name": name, "run_name": name, "family_index": 20 + fam,
                    "per_family_instance_index": 0, "run_type": "iteration",
                    "repetitions": 5, "repetition_index": i, "threads": 1,
                    "iterations": 1000, "real_time": t, "cpu_time": t,
                    "time_unit": "ns"})
    return entries


def shifted(entries, shift):
    """--shift REGEX=F applied to synthetic entries."""
    shifts = [(re.compile(k), float(v)) for k, v in
              (x.split("=", 1) for x in shift)]
    for e in entries:
        for rx, v in shifts:
            if rx.search(e["name"]):
                scale_entry(e, v)
    return entries


def scaling(a, rng):
    """BM_Messaging and BM_Pairs: cost grows with the count, pipe less."""
    entries = []
    for fam, (pattern, counts) in enumerate(SCALING):
        inst = 0
        for t, base in (("unix-stream", 40.0), ("pipe", 30.0)):
            for n in counts:
                name = pattern % (t, n)
                for i in range(a.reps):
                    us = base * a.scale * n ** 0.8 * \
                        (1.0 + 0.05 * rng.gauss(0.0, 1.0))
                    entries.append({
                        "name": name, "run_name": name, "family_index":
                        10 + fam, "per_family_instance_index": inst,
                        "run_type": "iteration", "repetitions": a.reps,
                        "repetition_index": i, "threads": 1,
                        "iterations": 100, "real_time": us,
                        "cpu_time": us / 2, "time_unit": "us",
                        "items_per_second": n * 1e6 / us,
                        "p50_us": us / n, "p99_us": 3 * us / n,
                        "scaling_efficiency": n ** -0.2})
                inst += 1
    return entries


def resampled(a, rng):
    with open(a.source) as f:
        run = json.load(f)
    shifts = [(re.compile(k), float(v)) for k, v in
              (s.split("=", 1) for s in a.shift)]
    by = {}
    for e in run["benchmarks"]:
        if e.get("run_type", "iteration") == "iteration":
            by.setdefault(e.get("run_name", e["name"]), []).append(e)
    entries = []
    for name, es in by.items():
        f = a.scale
        for rx, v in shifts:
            if rx.search(name):
                f *= v
        for i in range(len(es)):
            e = dict(rng.choice(es), repetition_index=i)
            if not e.get("error_occurred"):
                scale_entry(e, f)
            entries.append(e)
    return run.get("context", {}), entries


def scale_entry(e, f):
    for k, v in list(e.items()):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if k in ("real_time", "cpu_time") or k.endswith("_us") or \
                re.match(r"p\d+$", k):
            e[k] = v * f
        elif k.endswith("_per_second"):
            e[k] = v / f


def broken(kind, out):
    one = {"name": "BM_X/1", "run_name": "BM_X/1", "run_type": "iteration",
           "iterations": 10, "real_time": 1.0, "cpu_time": 1.0,
           "time_unit": "ns"}
    text = {
        "malformed": '{"context": {}, "benchmarks": [{"name": "BM_X/1", ',
        "not-gb": json.dumps({"results": [{"command": "true"}]}),
        "no-cpu-time": json.dumps({"benchmarks": [
            {k: v for k, v in one.items() if k != "cpu_time"}]}),
        "nan": json.dumps({"benchmarks": [dict(one, real_time=math.nan)]}),
        "empty": json.dumps({"context": {}, "benchmarks": []}),
        "no-name": json.dumps({"benchmarks": [
            {k: v for k, v in one.items() if k != "name"}]}),
    }[kind]
    with open(out, "w") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--env")
    p.add_argument("--vm")
    p.add_argument("--ctx", type=float, default=2.0)
    p.add_argument("--sysctl", action="append", default=[])
    p.add_argument("--suite")
    p.add_argument("--from", dest="source")
    p.add_argument("--shift", action="append", default=[])
    p.add_argument("--scaling", action="store_true")
    p.add_argument("--canaries", action="store_true")
    p.add_argument("--break", dest="brk", choices=[
        "malformed", "not-gb", "no-cpu-time", "nan", "empty", "no-name"])
    a = p.parse_args()
    if a.brk:
        broken(a.brk, a.out)
        return
    rng = random.Random(a.seed)
    ctx = {"date": "2026-11-26T00:00:00+00:00", "host_name": "synthetic",
           "num_cpus": 2, "library_build_type": "debug"}
    if a.source:
        ctx, entries = resampled(a, rng)
    else:
        entries = synthetic(a, rng) + (scaling(a, rng) if a.scaling else [])
        entries += canaries(a, rng) if a.canaries else []
        entries = shifted(entries, a.shift)
    if a.suite:
        ctx["suite"] = a.suite
    if a.env:
        with open(a.env) as f:
            env = json.load(f)
        for kv in a.sysctl:
            k, v = kv.split("=", 1)
            env["sysctls"][k] = v
        if a.vm:
            env["vm"] = {"accelerator": a.vm, "qemu_version": "7.2.0",
                         "qemu_flags": "-accel " + a.vm}
        ctx["sockpair_env"] = env
    with open(a.out, "w") as f:
        json.dump({"context": ctx, "benchmarks": entries}, f, indent=1)


main()
