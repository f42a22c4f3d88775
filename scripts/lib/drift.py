"""The canaries of a run and the drift they show (see docs/comparing.md).

sockpair-bench --sp_canaries (every suite of scripts/bench and
scripts/kernel) runs five short benchmarks of the other families again
before the others, between their two halves and after them:

  BM_Canary/syscall/at:<start|mid|end>                  (BM_Floor/getppid)
  BM_Canary/memcpy/at:<...>/bytes:65536                 (BM_Floor/memcpy)
  BM_Canary/pipe-pingpong/at:<...>/bytes:64/manual_time (BM_Latency/pipe,
                                                        same CPU, processes)
  BM_Canary/pipe-xcpu/at:<...>/bytes:64/manual_time     (the same, across
                                                        the CPUs)
  BM_Canary/pipe-bulk/at:<...>/bytes:1048576/manual_time
                                                        (BM_Throughput/pipe,
                                                        same CPU, 1 MiB)

Within a run, a canary's drift is the spread of its three medians (max -
min).  Between two sides, its change is B/A of every repetition of every
position (the Hodges-Lehmann estimate and its distribution-free 95 %
interval, as the forest plot draws).  The farthest any canary's interval
reaches from 1 is the drift band of scripts/compare: a timing change whose
own interval does not lie wholly beyond it cannot be told apart from the
machine moving.  The first three band every row; the last two only the
rows that depend on what they measure (SCOPES).
"""
import math
import re

import results as R
import verdict as V

CANARY = re.compile(r"^BM_Canary/([^/]+)/at:(start|mid|end)(/|$)")
POSITIONS = ("start", "mid", "end")
LABELS = {"syscall": "syscall floor", "memcpy": "memcpy 64 KiB",
          "pipe-pingpong": "pipe ping-pong",
          "pipe-xcpu": "pipe ping-pong across CPUs",
          "pipe-bulk": "pipe 1 MiB transfer"}
BULK_BYTES = 65536


def _across_cpus(name):
    return bool(re.search(r"/(diff-cpu|unpinned)(/|$)", name)) or \
        R.family_of(name) in ("BM_Messaging", "BM_Pairs")


def _bulk(name):
    m = re.search(r"/bytes:(\d+)(/|$)", name)
    return R.family_of(name) in ("BM_Throughput", "BM_StreamBulk") and \
        m is not None and int(m.group(1)) >= BULK_BYTES


# Canaries whose band covers only some rows: on this kind of shared host
# cross-CPU wakeups and bulk transfers move on their own (measured: a
# cross-CPU round trip 3x slower, 1 MiB transfers 2-4x, while the same-CPU
# canaries held), and banding every row with those canaries would blind the
# same-CPU rows for nothing.  canary -> (the rows it covers, in words; test)
SCOPES = {
    "pipe-xcpu": ("rows across CPUs (diff-cpu, unpinned, BM_Messaging, "
                  "BM_Pairs)", _across_cpus),
    "pipe-bulk": ("bulk rows (BM_Throughput, BM_StreamBulk at %d KiB or "
                  "more)" % (BULK_BYTES // 1024), _bulk),
}


def covers(canary):
    """The rows a canary's band covers, in words."""
    return SCOPES[canary][0] if canary in SCOPES else "every row"


# Metrics the machine's speed moves (times and rates), which the band
# applies to; counts the kernel decides (context switches, loss, sizes) are
# judged without it.
TIMED = re.compile(r"^time$|_us$|_ns$|^p\d|^(median|mean)$|per_second$"
                   r"|throughput|bps$", re.I)


def is_canary(name):
    return bool(CANARY.match(name))


def label(canary):
    return LABELS.get(canary, canary)


def by_position(runs):
    """canary -> position -> [time ns, ...] over the runs given, the
    canaries in the order of LABELS."""
    out = {}
    for name, s in R.samples(runs).items():
        m = CANARY.match(name)
        if m and s["time"]:
            pos = out.setdefault(m.group(1), {})
            pos.setdefault(m.group(2), []).extend(s["time"])
    return _ordered(out)


def within_run(run):
    """canary -> {"start", "mid", "end": median ns or None, "range": max -
    min ns, "range_pct": of the median of the three} for one run."""
    out = {}
    for canary, pos in by_position([("", run)]).items():
        meds = {p: R.median(pos[p]) if p in pos else None for p in POSITIONS}
        got = [v for v in meds.values() if v is not None]
        rng = max(got) - min(got) if len(got) >= 2 else None
        mid = R.median(got) if got else None
        meds["range"] = rng
        meds["range_pct"] = 100.0 * rng / mid if rng is not None and mid \
            else None
        out[canary] = meds
    return out


def _side_within(side):
    """Per run of the side: its file and within_run(); and per canary the
    largest range_pct over the runs."""
    runs, worst = [], {}
    for path, run in side.runs:
        w = within_run(run)
        if not w:
            continue
        runs.append({"run": path, "canaries": w})
        for canary, v in w.items():
            if v["range_pct"] is not None:
                worst[canary] = max(worst.get(canary, 0.0), v["range_pct"])
    return {"runs": runs, "max_range_pct": worst}


def pooled(runs):
    """canary -> {"time": [ns...], "counters": {name: [...]}} over every
    repetition of every position of the runs given."""
    out = {}
    for name, s in R.samples(runs).items():
        m = CANARY.match(name)
        if not m or not s["time"]:
            continue
        p = out.setdefault(m.group(1), {"time": [], "counters": {}})
        p["time"] += s["time"]
        for k, v in s["counters"].items():
            p["counters"].setdefault(k, []).extend(v)
    return _ordered(out)


def _ordered(d):
    order = list(LABELS)
    return dict(sorted(d.items(), key=lambda kv: (
        order.index(kv[0]) if kv[0] in order else len(order), kv[0])))


def _change(canary, metric, xa, xb):
    row = V.new_row(metric, xa, xb)
    ci = row["ratio_ci"]
    return {"canary": canary, "label": label(canary), "metric": metric,
            "covers": covers(canary),
            "a_median": row["a"]["median"], "b_median": row["b"]["median"],
            "n": [len(xa), len(xb)], "delta_pct": row["delta_pct"],
            "estimate": ci[0] if ci else row["ratio"], "ratio_ci": ci,
            "p": row["p"]}


def _reach(ch):
    """How far from 1 the canary's change may be: |log| of the farther end
    of its interval (its estimate when it has none); None without one."""
    ci = ch["ratio_ci"]
    ends = [ci[1], ci[2]] if ci and ci[1] is not None else [ch["estimate"]]
    ends = [v for v in ends if v and v > 0]
    return max(abs(math.log(v)) for v in ends) if ends else None


def _kernels(side):
    return sorted({str(((R.env_of(r) or {}).get("kernel") or {}).get(
        "release", R.ABSENT)) for _, r in side.runs})


def _changes(pa, pb):
    """Every canary's change B/A on time and on each timed counter both
    sides hold (the pipe ping-pong's percentiles and mean)."""
    out = []
    for canary in [c for c in pa if c in pb]:
        sa, sb = pa[canary], pb[canary]
        out.append(_change(canary, "time", sa["time"], sb["time"]))
        for k in sa["counters"]:
            if k in sb["counters"] and applies(k):
                out.append(_change(canary, k, sa["counters"][k],
                                   sb["counters"][k]))
    return out


def _bands(changes):
    """metric -> {"pct", "from"}: the farthest a canary's interval on that
    metric reaches from 1, over the changes given."""
    widest = {}
    for ch in changes:
        size = _reach(ch)
        if size is None:
            continue
        if ch["metric"] not in widest or size > widest[ch["metric"]][0]:
            widest[ch["metric"]] = (size, ch["label"])
    return {m: {"pct": 100.0 * math.expm1(v), "from": c}
            for m, (v, c) in widest.items()}


def interleaved(a, b):
    """Whether the two sides are one scripts/bench --ab run (every run in
    its context.sockpair_ab, one stamp, sides a and b)."""
    stamps, sides = set(), {}
    for label, side in (("a", a), ("b", b)):
        for _, run in side.runs:
            ab = (run.get("context") or {}).get("sockpair_ab")
            if not isinstance(ab, dict):
                return False
            stamps.add(str(ab.get("stamp")))
            sides.setdefault(label, set()).add(ab.get("side"))
    return len(stamps) == 1 and sides == {"a": {"a"}, "b": {"b"}}


def analyse(a, b, use_band):
    """The drift block of a report: each canary's change B/A (time, and
    the timed counters it has), the bands per metric (as a percentage: the
    farthest from 1 a canary's 95 % interval of that metric reaches, so that
    a canary's own noise does not pass for a change; a metric no canary has
    takes the band of time), the within-run drift of each side, and whether
    the kernels differ.  Sides interleaved by scripts/bench --ab get no
    band: the machine's drift fell on both alike, and what the canaries
    show between them is their noise, which the verdicts already weigh."""
    pa, pb = pooled(a.runs), pooled(b.runs)
    missing = [side for side, p in (("A", pa), ("B", pb)) if not p]
    ka, kb = _kernels(a), _kernels(b)
    out = {"missing": missing, "changes": [], "bands": {}, "scoped": {},
           "applied": False,
           "interleaved": interleaved(a, b),
           "kernels_differ": R.ABSENT not in ka + kb and ka != kb,
           "within": {"A": _side_within(a), "B": _side_within(b)}}
    if missing:
        return out
    out["changes"] = _changes(pa, pb)
    out["bands"] = _bands([c for c in out["changes"]
                           if c["canary"] not in SCOPES])
    for canary, (rows, _) in SCOPES.items():
        bands = _bands([c for c in out["changes"] if c["canary"] == canary])
        if bands:
            out["scoped"][canary] = {"label": label(canary), "rows": rows,
                                     "bands": bands}
    out["applied"] = use_band and "time" in out["bands"] and \
        not out["interleaved"]
    return out


def _band_of(bands, metric):
    band = bands.get(metric) or bands.get("time")
    return math.log1p(band["pct"] / 100.0) if band else None


def band_log(drift, metric="time", name=None):
    """The band of a metric of the benchmark name as |log ratio|: the
    widest of the canaries that band every row and of those whose scope
    covers the name (a metric a canary lacks: its band of time); None when
    no band applies.  Without a name: the band of every row."""
    if not drift or not drift["applied"] or not applies(metric):
        return None
    sets = [drift["bands"]] + [
        s["bands"] for c, s in drift["scoped"].items()
        if name is not None and SCOPES[c][1](name)]
    return max(b for b in (_band_of(x, metric) for x in sets)
               if b is not None)


def applies(metric):
    return bool(TIMED.search(metric))


# ---- text -----------------------------------------------------------------

def _pct(v):
    return "%+.0f %%" % v if abs(v) >= 0.95 else "%+.1f %%" % v


def _change_text(ch):
    if ch["delta_pct"] is None:
        return "-"
    sig = "" if ch["p"] is not None and ch["p"] < 0.05 else " (~)"
    return "%s%s" % (_pct(ch["delta_pct"]), sig)


def _moves(drift):
    """syscall floor +12 %, pipe ping-pong +18 %, its p50 +5 % (~)."""
    parts = {}
    for ch in drift["changes"]:
        if ch["metric"] == "time":
            parts[ch["canary"]] = "%s %s" % (ch["label"], _change_text(ch))
    for ch in drift["changes"]:
        if ch["metric"] == "p50_us" and ch["canary"] in parts:
            parts[ch["canary"]] += ", its p50 %s" % _change_text(ch)
    return ", ".join(parts.values())


def _verb(drift, threshold_pct):
    if any(ch["p"] is not None and ch["p"] < 0.05 and ch["metric"] in (
            "time", "p50_us") for ch in drift["changes"]):
        return "the machine moved"
    if drift["bands"]["time"]["pct"] >= threshold_pct:
        return "the canaries are too noisy to tell whether the machine moved"
    return "the machine held still"


def _within_text(within):
    worst = within["max_range_pct"]
    if not worst:
        return "-"
    return ", ".join("%s %.0f %%" % (label(c), v)
                     for c, v in _ordered(worst).items())


def _bands_text(bands):
    out = "time ±%.1f %% (%s)" % (bands["time"]["pct"], bands["time"]["from"])
    if "p50_us" in bands:
        out += ", p50 ±%.1f %% (%s)" % (bands["p50_us"]["pct"],
                                        bands["p50_us"]["from"])
    return out


def _band_text(drift):
    return "drift band: %s, the far end of its 95 %% interval" % \
        _bands_text(drift["bands"])


def _scoped_text(drift):
    """One line per canary that bands only some rows."""
    return ["drift band of the %s: also %s" % (s["rows"], _bands_text(
        s["bands"])) for s in drift["scoped"].values()
        if "time" in s["bands"]]


def lines(drift, threshold_pct):
    """The drift lines at the top of a comparison."""
    if drift is None:
        return []
    if drift["missing"]:
        return ["drift: no canaries in %s (a run recorded before them, or "
                "without --sp_canaries): whether the machine moved between "
                "the runs is unknown; no drift band"
                % " and ".join(drift["missing"])]
    if "time" not in drift["bands"]:
        return ["drift: the canaries hold no usable timing"]
    out = ["drift: %s: %s (canaries, B vs A)" % (_verb(drift, threshold_pct),
                                                  _moves(drift))]
    out.append("drift within the runs (max - min of start/mid/end, largest "
               "run): A %s; B %s" % (_within_text(drift["within"]["A"]),
                                    _within_text(drift["within"]["B"])))
    if drift["applied"]:
        out.append(_band_text(drift) + ": a timing change whose interval "
                   "stays within it is inconclusive (drift), never worse or "
                   "better (--no-drift-band turns it off)")
    elif drift["interleaved"]:
        out.append(_band_text(drift) + ": not applied: the sides ran "
                   "interleaved (scripts/bench --ab), so the machine's drift "
                   "fell on both alike")
    else:
        out.append(_band_text(drift) + ": not applied (--no-drift-band)")
    if drift["applied"]:
        out += _scoped_text(drift)
    if drift["bands"]["time"]["pct"] >= threshold_pct and \
            not drift["interleaved"]:
        out.append("warning: the canaries moved by up to more than the %g %% "
                   "threshold: interleave the two sides on one machine "
                   "(scripts/bench --ab) or repeat both runs" % threshold_pct)
    if drift["kernels_differ"]:
        out.append("note: A and B ran different kernels: a canary may move "
                   "for a kernel reason too (syscall entry cost, pipe wakeups "
                   "are kernel properties), so the band may hold part of the "
                   "kernel's own change; verdicts are shown both ways "
                   "(\"without the band: …\")")
    return out
