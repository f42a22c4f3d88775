"""The one reader of Google Benchmark JSON runs (scripts/record's output),
for scripts/compare, scripts/plot and the summary of scripts/bench, and the
statistics of one benchmark's repetitions they share: the median and its
distribution-free confidence interval, the spread, and stability flags.

A side (A or B) is a results file or a directory of them (one kernel's
runs), or several joined by commas.  Dot files are skipped (a writer's
temporary file); in a directory, JSON files that are neither benchmark runs
nor matrices (hyperfine exports) are skipped.  Anything else that is wrong
raises LoadError, whose text is one line: "FILE: the problem".
"""
import json
import math
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

# A benchmark's repetitions are unstable when their coefficient of
# variation is above this, or when they are bimodal (see bimodal()).
UNSTABLE_CV = 0.20
BIMODAL_R2 = 0.90     # share of the log variance the two groups explain
BIMODAL_RATIO = 1.25  # the two groups' medians at least this far apart
BIMODAL_MIN_N = 6


class LoadError(Exception):
    """A results file or directory that cannot be used."""

    def __init__(self, path, problem):
        super().__init__("%s: %s" % (path, problem))
        self.path = path
        self.problem = problem


class Side:
    """The runs and matrices of one side of a comparison."""

    def __init__(self, path):
        self.path = path
        self.runs = []      # (file, run dict)
        self.matrices = []  # (file, matrix dict)
        self.skipped = []   # (file, why)


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise LoadError(path, "cannot read it: %s" % e.strerror) from None
    except UnicodeDecodeError:
        raise LoadError(path, "not text (not UTF-8)") from None
    except json.JSONDecodeError as e:
        raise LoadError(path, "not valid JSON: %s at line %d column %d"
                        % (e.msg, e.lineno, e.colno)) from None
    except (ValueError, RecursionError) as e:
        raise LoadError(path, "not valid JSON: %s" % e) from None


def _kind(path, obj):
    """"run", "matrix" or None (some other JSON)."""
    if not isinstance(obj, dict):
        return None
    if "benchmarks" in obj:
        if not isinstance(obj["benchmarks"], list):
            raise LoadError(path, '"benchmarks" is not a list')
        return "run"
    if isinstance(obj.get("cells"), list):
        return "matrix"
    return None


def _number(path, name, key, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise LoadError(path, "benchmark %s: %s is not a number (%s)"
                        % (name, key, json.dumps(v)[:40]))
    if math.isnan(v):
        raise LoadError(path, "benchmark %s: %s is NaN" % (name, key))
    if math.isinf(v):
        raise LoadError(path, "benchmark %s: %s is infinite" % (name, key))


def _check_entry(path, i, e):
    if not isinstance(e, dict) or not isinstance(e.get("name"), str):
        raise LoadError(path, 'entry %d of "benchmarks" has no name' % i)
    name = e["name"]
    # Google Benchmark writes NaN into the cv aggregate of a counter that
    # is 0 in every repetition; only iterations and medians are read.
    if e.get("error_occurred") or (e.get("run_type") == "aggregate" and
                                   e.get("aggregate_name") != "median"):
        return
    for key in ("real_time", "cpu_time"):
        if key not in e:
            raise LoadError(path, "benchmark %s has no %s" % (name, key))
        _number(path, name, key, e[key])
    unit = e.get("time_unit", "ns")
    if unit not in TO_NS:
        raise LoadError(path, "benchmark %s: unknown time_unit %s"
                        % (name, json.dumps(unit)[:20]))
    for key, v in e.items():
        if key not in GB_FIELDS and isinstance(v, (int, float)):
            _number(path, name, key, v)


def check_run(path, run):
    """Raises LoadError unless run is a Google Benchmark run with at least
    one entry, each named, with finite times and counters (in the entries
    that are read: repetitions and median aggregates)."""
    if not run["benchmarks"]:
        raise LoadError(path, 'an empty run: "benchmarks" holds no entry')
    for i, e in enumerate(run["benchmarks"]):
        _check_entry(path, i, e)


def _add(side, path, obj, kind):
    if kind == "run":
        check_run(path, obj)
        side.runs.append((path, obj))
        m = (obj.get("context") or {}).get("sockpair_matrix")
        if isinstance(m, dict) and isinstance(m.get("cells"), list):
            side.matrices.append((path, m))
    elif kind == "matrix":
        side.matrices.append((path, obj))


def _load_dir(side, path):
    names = sorted(n for n in os.listdir(path)
                   if n.endswith(".json") and not n.startswith(".")
                   and os.path.isfile(os.path.join(path, n)))
    if not names:
        raise LoadError(path, "a directory without results files (*.json)")
    before = len(side.runs) + len(side.matrices)
    for name in names:
        full = os.path.join(path, name)
        obj = _read_json(full)
        kind = _kind(full, obj)
        if kind is None:
            side.skipped.append((full, "neither a benchmark run nor a matrix"))
        _add(side, full, obj, kind)
    if len(side.runs) + len(side.matrices) == before:
        raise LoadError(path, "a directory without benchmark runs (%s: not "
                        "Google Benchmark JSON)" % ", ".join(names[:3]))


def _load_file(side, path, listed):
    obj = _read_json(path)
    kind = _kind(path, obj)
    if kind is None:
        raise LoadError(path, 'not Google Benchmark JSON (no "benchmarks" '
                        'list) nor a pair matrix (no "cells" list)')
    _add(side, path, obj, kind)
    # A run file's matrix is stored beside it (scripts/record --matrix).
    beside = path[:-len(".json")] + ".matrix.json"
    if kind == "run" and path.endswith(".json") and beside not in listed \
            and os.path.isfile(beside):
        obj = _read_json(beside)
        _add(side, beside, obj, _kind(beside, obj))


def load_side(spec):
    """spec: a file, a directory, or several of them joined by commas.
    Raises LoadError."""
    side = Side(spec)
    listed = spec.split(",")
    for path in listed:
        if not path:
            raise LoadError(spec, "an empty path in the list")
        if not os.path.exists(path):
            raise LoadError(path, "does not exist")
        if os.path.isdir(path):
            _load_dir(side, path)
        else:
            _load_file(side, path, listed)
    return side


def env_of(run):
    env = (run.get("context") or {}).get("sockpair_env")
    return env if isinstance(env, dict) else None


def bench_key(entry):
    return entry.get("run_name") or entry.get("name")


def family_of(name):
    return name.split("/", 1)[0]


def short_name(name):
    """The name without its family and Google Benchmark's time suffix."""
    rest = name.split("/", 1)[1] if "/" in name else name
    for suffix in ("/manual_time", "/real_time", "/process_time"):
        if rest.endswith(suffix):
            rest = rest[:-len(suffix)]
    return rest


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
            key = bench_key(e)
            if e.get("run_type", "iteration") == "aggregate" and (
                    key in iter_names or e.get("aggregate_name") != "median"):
                continue
            s = out.setdefault(key, {"unit": e.get("time_unit", "ns"),
                                     "time": [], "cpu": [], "counters": {},
                                     "errors": [], "entries": [],
                                     "order": order_key(e, len(out))})
            if e.get("error_occurred"):
                s["errors"].append(e.get("error_message", "error"))
                continue
            mult = TO_NS[e.get("time_unit", "ns")]
            s["time"].append(e["real_time"] * mult)
            s["cpu"].append(e["cpu_time"] * mult)
            for k, v in e.items():
                if k not in GB_FIELDS and not isinstance(v, bool) and \
                        isinstance(v, (int, float)):
                    s["counters"].setdefault(k, []).append(float(v))
            s["entries"].append(e)
    return dict(sorted(out.items(), key=lambda kv: kv[1]["order"]))


def values(s, metric):
    """A benchmark's repetitions of one metric: "time" (ns) or a counter."""
    return s["time"] if metric == "time" else s["counters"].get(metric, [])


# ---- statistics of one benchmark's repetitions -------------------------

def median(xs):
    ys = sorted(xs)
    n = len(ys)
    if not n:
        return None
    return ys[n // 2] if n % 2 else (ys[n // 2 - 1] + ys[n // 2]) / 2.0


def _binom_half_cdf(k, n):
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2.0 ** n


def median_ci(xs, level=0.95):
    """(lo, hi, confidence): the distribution-free interval of the median
    between order statistics, as benchstat computes it: the narrowest
    symmetric [x(k), x(n+1-k)] whose coverage, from the binomial
    distribution, is at least level.  (None, None, None) when n is too
    small for that level (n < 6 at 95 %)."""
    ys = sorted(xs)
    n = len(ys)
    best = None
    for k in range(1, n // 2 + 1):
        cover = 1.0 - 2.0 * _binom_half_cdf(k - 1, n)
        if cover < level:
            break
        best = (ys[k - 1], ys[n - k], cover)
    return best if best else (None, None, None)


def cv(xs):
    """Coefficient of variation (sample standard deviation / mean)."""
    n = len(xs)
    if n < 2:
        return None
    m = sum(xs) / n
    if m == 0:
        return None
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    return math.sqrt(var) / abs(m)


def log_sd(xs):
    """Standard deviation of the logarithms (the relative spread); of the
    values over their mean when some are <= 0."""
    n = len(xs)
    if n < 2:
        return None
    if min(xs) > 0:
        ls = [math.log(x) for x in xs]
        m = sum(ls) / n
        return math.sqrt(sum((v - m) ** 2 for v in ls) / (n - 1))
    c = cv(xs)
    return 0.0 if c is None and max(xs) == min(xs) else c


def bimodal(xs):
    """(low median, high median, low count, high count) when the values
    split into two groups, each at least a fifth of them (and two), that
    explain BIMODAL_R2 of the variance of the logarithms with medians at
    least BIMODAL_RATIO apart; else None.  Needs BIMODAL_MIN_N values."""
    n = len(xs)
    if n < BIMODAL_MIN_N or min(xs) <= 0:
        return None
    ys = sorted(xs)
    ls = [math.log(y) for y in ys]
    mean = sum(ls) / n
    sst = sum((v - mean) ** 2 for v in ls)
    if sst == 0:
        return None
    least = max(2, math.ceil(n / 5))
    best = None
    for k in range(least, n - least + 1):
        lo, hi = ls[:k], ls[k:]
        mlo, mhi = sum(lo) / k, sum(hi) / (n - k)
        ssw = sum((v - mlo) ** 2 for v in lo) + sum((v - mhi) ** 2 for v in hi)
        r2 = 1.0 - ssw / sst
        if best is None or r2 > best[0]:
            best = (r2, k)
    r2, k = best
    low, high = median(ys[:k]), median(ys[k:])
    if r2 < BIMODAL_R2 or high < BIMODAL_RATIO * low:
        return None
    return (low, high, k, n - k)


def stability(xs):
    """{"n", "cv", "bimodal", "unstable", "why"} of one metric's
    repetitions; "why" says what makes them unstable ("" when stable)."""
    c = cv(xs) if len(xs) >= 3 else None
    bi = bimodal(xs)
    why = []
    if bi:
        why.append("bimodal (%d + %d repetitions, %.2fx apart)"
                   % (bi[2], bi[3], bi[1] / bi[0]))
    if c is not None and c > UNSTABLE_CV:
        why.append("CV %.0f %%" % (100 * c))
    return {"n": len(xs), "cv": c, "bimodal": bi, "unstable": bool(why),
            "why": ", ".join(why)}


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
    r"per_second|_per_s$|/s$|throughput|bps$|rate$|msgs?_s$|efficiency",
    re.I)
# Metrics a regression of which fails the comparison (exit 3): time, the
# median and mean, rates, context switches per round trip. Tails (p90, p99,
# p99.9, max) vary 2x run to run here: reported, never gated.
GATED = re.compile(
    r"^(time|p50(_us)?|median(_us)?|mean(_us)?|csw_per_rt"
    r"|ctx_switches_per_rt)$|per_second$|throughput", re.I)
