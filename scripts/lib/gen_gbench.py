"""Synthetic Google Benchmark JSON with known distributions, for the tests.

gen_gbench.py OUT --seed S [--scale F] [--reps N] [--env ENV_JSON]
  [--vm ACCEL] [--ctx C] [--sysctl KEY=VALUE] [--suite NAME]
Three benchmarks, each N repetitions of real_time ~ base * scale * (1 + 5 %
gaussian noise), with counters p50/p99 (scaled too), bytes_per_second
(inversely scaled) and ctx_switches_per_rt (= C, default 2.0).
"""
import argparse
import json
import random

BENCHES = [("BM_PingPong/unix-stream/64/manual_time", 23000.0),
           ("BM_PingPong/pipe/64/manual_time", 14000.0),
           ("BM_Stream/tcp4/65536/manual_time", 40000.0)]

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--seed", type=int, required=True)
p.add_argument("--scale", type=float, default=1.0)
p.add_argument("--reps", type=int, default=10)
p.add_argument("--env")
p.add_argument("--vm")
p.add_argument("--ctx", type=float, default=2.0)
p.add_argument("--sysctl", action="append", default=[])
p.add_argument("--suite")
a = p.parse_args()
rng = random.Random(a.seed)
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
            "p50": t / 1000.0, "p99": 4 * t / 1000.0 * (1 + 0.3 * rng.random()),
            "bytes_per_second": 64e9 / t, "ctx_switches_per_rt": a.ctx,
        })
ctx = {"date": "2026-11-26T00:00:00+00:00", "host_name": "synthetic",
       "num_cpus": 2, "library_build_type": "debug"}
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
