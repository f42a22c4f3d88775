"""Reading results files (scripts/record's output) for compare and plot.

A side (A or B) is a results file or a directory of them (one kernel's
runs).  Dot files are skipped (a writer's temporary file); JSON files that
are neither benchmark runs nor matrices (hyperfine exports) are ignored.
"""
import json
import os
import re

ABSENT = "absent"

# Fields of a Google Benchmark entry that are not counters.
GB_FIELDS = {
    "name", "run_name", "run_type", "repetitions", "repetition_index",
    "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "family_index", "per_family_instance_index", "aggregate_name",
    "aggregate_unit", "error_occurred", "error_message", "label",
}
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class Side:
    """The runs and matrices of one side of a comparison."""

    def __init__(self, path):
        self.path = path
        self.runs = []      # (file, run dict)
        self.matrices = []  # (file, matrix dict)
        self.skipped = []   # (file, why)


def _classify(side, path):
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, ValueError) as e:
        side.skipped.append((path, str(e)))
        return
    if isinstance(obj, dict) and isinstance(obj.get("benchmarks"), list):
        side.runs.append((path, obj))
        m = (obj.get("context") or {}).get("sockpair_matrix")
        if isinstance(m, dict) and isinstance(m.get("cells"), list):
            side.matrices.append((path, m))
    elif isinstance(obj, dict) and isinstance(obj.get("cells"), list):
        side.matrices.append((path, obj))
    else:
        side.skipped.append((path, "neither a benchmark run nor a matrix"))


def load_side(spec):
    """spec: a file, a directory, or several of them joined by commas."""
    side = Side(spec)
    for path in spec.split(","):
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                full = os.path.join(path, name)
                if name.startswith(".") or not name.endswith(".json"):
                    continue
                if os.path.isfile(full):
                    _classify(side, full)
        else:
            _classify(side, path)
            # A run file's matrix is stored beside it (scripts/record --matrix).
            beside = path[:-len(".json")] + ".matrix.json"
            if path.endswith(".json") and not path.endswith(".matrix.json") \
                    and os.path.isfile(beside) and beside not in spec.split(","):
                _classify(side, beside)
    return side


def env_of(run):
    env = (run.get("context") or {}).get("sockpair_env")
    return env if isinstance(env, dict) else None


def bench_key(entry):
    return entry.get("run_name") or entry.get("name")


def order_key(entry, seen):
    """Google Benchmark's registration order (random interleaving shuffles
    the file), else the order first seen."""
    fi, pi = entry.get("family_index"), entry.get("per_family_instance_index")
    if isinstance(fi, int) and isinstance(pi, int):
        return (0, fi, pi, seen)
    return (1, 0, 0, seen)


def samples(runs):
    """name -> {"unit", "time": [ns...], "cpu": [ns...], "counters": {c: [...]},
    "errors": [msg...]} over every repetition of every run, in first-seen
    order.  A run that kept only aggregates contributes its median."""
    out = {}
    for _, run in runs:
        entries = run["benchmarks"]
        iter_names = {bench_key(e) for e in entries
                      if e.get("run_type", "iteration") == "iteration"}
        for e in entries:
            rt = e.get("run_type", "iteration")
            key = bench_key(e)
            if rt == "aggregate":
                if key in iter_names or e.get("aggregate_name") != "median":
                    continue
            s = out.setdefault(key, {"unit": e.get("time_unit", "ns"),
                                     "time": [], "cpu": [], "counters": {},
                                     "errors": [], "entries": [],
                                     "order": order_key(e, len(out))})
            if e.get("error_occurred"):
                s["errors"].append(e.get("error_message", "error"))
                continue
            mult = TO_NS.get(e.get("time_unit", "ns"), 1.0)
            if isinstance(e.get("real_time"), (int, float)):
                s["time"].append(e["real_time"] * mult)
            if isinstance(e.get("cpu_time"), (int, float)):
                s["cpu"].append(e["cpu_time"] * mult)
            for k, v in e.items():
                if k in GB_FIELDS or isinstance(v, bool):
                    continue
                if isinstance(v, (int, float)):
                    s["counters"].setdefault(k, []).append(float(v))
            s["entries"].append(e)
    return dict(sorted(out.items(), key=lambda kv: kv[1]["order"]))


def median(xs):
    ys = sorted(xs)
    n = len(ys)
    if not n:
        return None
    return ys[n // 2] if n % 2 else (ys[n // 2 - 1] + ys[n // 2]) / 2.0


def flatten(obj, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": "1"} (values as compact JSON text)."""
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, prefix + str(k) + "."))
    else:
        out[prefix[:-1]] = obj if isinstance(obj, str) else json.dumps(obj)
    return out


def accelerator_identity(env):
    """What a timing depends on beyond the kernel: native, or the emulator
    and its settings.  Absent "vm" means a native run."""
    vm = (env or {}).get("vm")
    if not isinstance(vm, dict):
        return ("native",)
    return (str(vm.get("accelerator", ABSENT)),
            str(vm.get("qemu_version", ABSENT)),
            str(vm.get("qemu_flags", ABSENT)))


def describe_identity(ident):
    if ident == ("native",):
        return "native"
    acc, ver, flags = ident
    return "%s (qemu %s, flags: %s)" % (acc, ver, flags)


# Counters whose value the kernel decides, not the clock: compared whatever
# the accelerator (bench/: csw_per_rt, csw_self_per_rt, csw_peer_per_rt).
KERNEL_DECIDED = re.compile(
    r"(csw|ctx|context_switch)\w*per_rt|errno|largest|max_dgram"
    r"|max_datagram|max_msg", re.I)
# Counters where more is better (rates); everything else: less is better.
HIGHER_IS_BETTER = re.compile(
    r"per_second|_per_s$|/s$|throughput|bps$|rate$|msgs?_s$", re.I)
# Metrics a regression of which fails the comparison (exit 3): time, the
# median and mean, rates, context switches per round trip. Tails (p90, p99,
# p99.9, max) vary 2x run to run here: reported, never gated.
GATED = re.compile(
    r"^(time|p50(_us)?|median(_us)?|mean(_us)?|csw_per_rt"
    r"|ctx_switches_per_rt)$|per_second$|throughput", re.I)
