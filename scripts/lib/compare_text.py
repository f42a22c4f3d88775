"""scripts/compare's text and Markdown views of a report (compare.py)."""
import math

import drift as D

SCREEN = 80       # the default view fits this many lines (two default runs)
MIN_ROWS = 2      # rows per family however little room there is
NAME_WIDTH = 46
METRIC_LABEL = {"time": "time/op", "bytes_per_second": "B/s",
                "items_per_second": "items/s"}


# ---- numbers ---------------------------------------------------------------

def _three(x):
    """x in [1, 1000) with three significant digits, no exponent."""
    if x >= 99.95:
        return "%.0f" % x
    if x >= 9.995:
        return "%.1f" % x
    return "%.2f" % x


def si(v, unit):
    if v == 0:
        return "0 " + unit
    for f, p in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
                 (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
        if abs(v) >= f:
            return "%s %s%s" % (_three(v / f), p, unit)
    return "%.3g %s" % (v, unit)


def fmt_val(metric, v):
    """A median of a metric, with its unit (time in ns, *_us in µs)."""
    if v is None:
        return "-"
    if metric == "time":
        return si(v * 1e-9, "s")
    if metric.endswith("_us"):
        return si(v * 1e-6, "s")
    if metric == "bytes_per_second":
        return si(v, "B/s")
    if metric.endswith("_per_second"):
        return si(v, "/s")
    if metric.endswith("_pct"):
        return "%.3g %%" % v
    return "%.4g" % v


def fmt_ci(side):
    m, lo, hi = side["median"], side["ci_lo"], side["ci_hi"]
    if lo is None or not m:
        return "± ∞"
    return "± %.0f%%" % (100.0 * max(hi - m, m - lo) / abs(m))


def fmt_delta(row):
    if row["verdict"] in ("worse", "better") and row["delta_pct"] is not None:
        return "%+.1f%%" % row["delta_pct"]
    return "~"


def fmt_p(p):
    return "-" if p is None else "%.3f" % p


def unstable_sides(row):
    return ",".join(label for label in ("A", "B")
                    if row[label.lower()]["unstable"])


def fmt_verdict(row):
    v = row["verdict"]
    if row["drift"]:
        wb = row["without_band"]
        v += " (drift; without the band: %s)" % (
            "REGRESSION" if wb["regression"] else wb["verdict"])
    elif v == "inconclusive" and row["reps_needed"]:
        v += ": needs n=%d" % row["reps_needed"]
    if row["regression"]:
        v = "REGRESSION (worse)"
    flags = unstable_sides(row)
    return v + (" · unstable %s" % flags if flags else "")


def jsonable(obj):
    """The report with NaN and infinities as null (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# ---- the head: sides, environment, matrix ------------------------------------

def _side_line(label, s):
    return "%s: %s — %d run(s)%s" % (label, s["path"], s["runs"], (
        ", %d matrix" % s["matrices"]) if s["matrices"] else "")


def _timing_lines(report):
    note = report["timing_note"]
    if note is None:
        return []
    if report["timing_compared"]:
        return ["warning: timings compared across accelerators (--force): "
                + note]
    return ["timing comparison REFUSED: the runs do not share an accelerator "
            "(%s). Under emulation a time measures the emulator, not the "
            "kernel. Compared below: what the kernel decides (matrix, errnos, "
            "context switches per round trip, largest datagram). --force "
            "compares timings anyway." % note]


def _matrix_lines(mx):
    if mx is None:
        return []
    if "only" in mx:
        return ["", "== matrix: only %s holds one (store the other kernel's "
                "with scripts/record --matrix)" % mx["only"]]
    d = mx["differences"]
    head = "identical (%d cells)" % mx["cells"] if not d else \
        "%d of %d cells differ" % (len(d), mx["cells"])
    return ["", "== matrix: " + head] + ["  " + x for x in d]


def head_lines(report):
    env = report["environment"]
    out = [_side_line("A", report["a"]), _side_line("B", report["b"])]
    if report.get("suite_note"):
        out.append(report["suite_note"])
    if env["kernel"]:
        out.append("kernel: " + "; ".join(
            "%s %s" % kv for kv in sorted(env["kernel"].items())))
    if env["load"]:
        out.append("load average (1 min) at the start of the runs: " +
                   "; ".join("%s %.2f-%.2f" % (k, lo, hi)
                             for k, (lo, hi) in sorted(env["load"].items())))
    out += ["warning: " + w for w in env["warnings"]]
    out += D.lines(report.get("drift"), report["threshold_pct"])
    return out + _timing_lines(report) + _matrix_lines(report["matrix"])


# ---- the foot: counts, notes, regressions -------------------------------------

def _names(xs, most=3):
    return ", ".join(xs[:most]) + (", …" if len(xs) > most else "")


def _error_lines(report):
    skipped = sorted({e["name"] for e in report["errors"] if e["skipped"]})
    failed = [e for e in report["errors"] if not e["skipped"]]
    out = []
    if skipped:
        first = next(e["message"] for e in report["errors"] if e["skipped"])
        out.append("note: %d benchmark(s) skipped, e.g. %s" % (
            len(skipped), first[:90]))
    for e in failed[:5]:
        out.append("warning: %s %s: %d repetition(s) failed: %s" % (
            e["side"], e["name"], e["count"], e["message"]))
    if len(failed) > 5:
        out.append("warning: … and %d more failures (--json)" %
                   (len(failed) - 5))
    for label in ("A", "B"):
        only = report["only_in"][label]
        if only:
            out.append("note: %d benchmark(s) only in %s: %s"
                       % (len(only), label, _names(only)))
    return out


def counts_text(c):
    out = ", ".join("%s %d" % (k, c.get(k, 0))
                    for k in ("worse", "better", "same", "inconclusive"))
    return out + (" (drift %d)" % c["drift"] if c.get("drift") else "")


def _band_lines(report):
    """What the drift band changed: the counts without it, and (kernels
    apart) the regressions it holds back."""
    o, drift = report["overall"], report.get("drift") or {}
    if not o["counts"].get("drift"):
        return []
    out = ["without the drift band: %s (--no-drift-band)"
           % counts_text(o["counts_without_band"])]
    held = [r for r in report["regressions_without_band"]
            if (r["name"], r["metric"]) not in {
                (x["name"], x["metric"]) for x in report["regressions"]}]
    if drift.get("kernels_differ"):
        out += ["without the band also REGRESSION: %s: %s %s -> %s" % (
            r["name"], r["metric"], fmt_val(r["metric"], r["a_median"]),
            fmt_val(r["metric"], r["b_median"])) for r in held[:10]]
    elif held:
        out[0] += "; %d more regression(s) without it" % len(
            {r["name"] for r in held})
    return out


def foot_lines(report):
    o = report["overall"]
    out = _error_lines(report)
    line = "overall: %d benchmarks — %s" % (o["benchmarks"], counts_text(
        o["counts"]))
    if o["time_geomean_ratio"]:
        line += "; geomean of time B/A %+.1f%% over %d" % (
            100.0 * (o["time_geomean_ratio"] - 1.0), o["time_n"])
    out.append(line)
    out += _band_lines(report)
    out.append("unstable repetitions (CV > %.0f %% or bimodal): A %d, B %d "
               "benchmark(s) (marked · unstable; --all says why)"
               % (report["unstable_cv_pct"], o["unstable"]["A"],
                  o["unstable"]["B"]))
    by = {}
    for r in report["regressions"]:
        by.setdefault(r["name"], []).append(r)
    for name, rs in list(by.items())[:10]:
        out.append("REGRESSION: %s: %s (q <= %.2g)" % (name, ", ".join(
            "%s %s -> %s" % (r["metric"], fmt_val(r["metric"], r["a_median"]),
                             fmt_val(r["metric"], r["b_median"]))
            for r in rs), max(r["q"] for r in rs)))
    if len(by) > 10:
        out.append("REGRESSION: … and %d more benchmark(s) (--all, --json)"
                   % (len(by) - 10))
    return out


def legend_lines(report):
    return ["", "Median ± 95 % CI of the median (order statistics); delta "
            "B vs A, ~ when not significant; Mann-Whitney p; repetitions A/B.",
            "worse/better: q < %g (Benjamini-Hochberg over %d rows); same: a "
            "%g %% change would have been seen;" % (
                report["alpha"], report["rows_judged"],
                report["threshold_pct"]),
            "inconclusive: it could have been missed (needs n=: repetitions "
            "per side that would see it), or (drift) the change is within "
            "the drift band."]


# ---- the family tables ------------------------------------------------------

def sorted_rows(benches):
    """Significant first, largest change first."""
    def key(bm):
        r = bm["primary"]
        sig = r["verdict"] in ("worse", "better")
        return (not sig, -abs(r["delta_pct"] or 0.0), bm["short"])
    return sorted((bm for bm in benches if bm["primary"]), key=key)


def allot(sizes, room):
    """Rows per family: as many as fit in room, shared out evenly."""
    give = {}
    left = sorted(sizes.items(), key=lambda kv: kv[1])
    while left:
        share = max(MIN_ROWS, room // len(left))
        name, size = left.pop(0)
        give[name] = min(size, share)
        room -= give[name]
    return give


def family_cells(bm):
    r = bm["primary"]
    return [bm["short"], fmt_val(r["metric"], r["a"]["median"]),
            fmt_ci(r["a"]), fmt_val(r["metric"], r["b"]["median"]),
            fmt_ci(r["b"]), fmt_delta(r), fmt_p(r["p"]),
            "%d/%d" % (r["a"]["n"], r["b"]["n"]), fmt_verdict(r)]


def _geo_cells(fam):
    g = fam["geomean"]
    if not g["ratio"]:
        return None
    return ["geomean", fmt_val(fam["metric"], g["a"]), "",
            fmt_val(fam["metric"], g["b"]), "",
            "%+.1f%%" % (100.0 * (g["ratio"] - 1.0)), "", "",
            "over %d benchmark(s)" % g["n"]]


def family_title(fam):
    return "%s — %d benchmark(s): %s (%s)" % (
        fam["name"], fam["benchmarks"], counts_text(fam["counts"]),
        METRIC_LABEL.get(fam["metric"], fam["metric"]))


def _more_line(rest):
    if not rest:
        return None
    c = {}
    for bm in rest:
        c[bm["primary"]["verdict"]] = c.get(bm["primary"]["verdict"], 0) + 1
    return "… %d more: %s (--rows 0 or --all for every row)" % (
        len(rest), ", ".join("%s %d" % kv for kv in sorted(c.items())))


def _text_table(cells, widths):
    right = {1, 3, 5, 6, 7}
    out = []
    for row in cells:
        out.append("  " + "  ".join(
            (c.rjust(w) if i in right else c.ljust(w))
            for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    return out


def family_block(fam, benches, cap, markdown):
    rows = sorted_rows(benches)
    shown = rows if cap is None else rows[:cap]
    metric = METRIC_LABEL.get(fam["metric"], fam["metric"])
    head = ["benchmark", "A " + metric, "±", "B " + metric, "±", "delta", "p",
            "n", "verdict"]
    cells = [family_cells(bm) for bm in shown]
    geo = _geo_cells(fam)
    more = _more_line(rows[len(shown):])
    if markdown:
        out = ["", "### " + family_title(fam), "",
               "| " + " | ".join(head) + " |",
               "|---|--:|---|--:|---|--:|--:|--:|---|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                for row in cells + ([geo] if geo else [])]
        return out + (["", more] if more else [])
    for row in cells:
        row[0] = row[0][:NAME_WIDTH]
    widths = [max(len(r[i]) for r in [head] + cells + ([geo] if geo else []))
              for i in range(len(head))]
    out = ["", "== " + family_title(fam)]
    out += _text_table([head] + cells + ([geo] if geo else []), widths)
    return out + (["  " + more] if more else [])


def family_lines(report, fixed, cap, markdown):
    fams = report["families"]
    by = {}
    for bm in report["benchmarks"]:
        by.setdefault(bm["family"], []).append(bm)
    if cap is None and fams:
        room = SCREEN - fixed - 5 * len(fams)
        caps = allot({f["name"]: len(sorted_rows(by[f["name"]]))
                      for f in fams}, room)
    else:
        caps = {f["name"]: (None if cap == 0 else cap) for f in fams}
    out = []
    for f in fams:
        out += family_block(f, by[f["name"]], caps[f["name"]], markdown)
    return out


# ---- every metric row (--all) --------------------------------------------------

def _all_notes(r):
    notes = []
    if r["mde_pct"] is not None:
        notes.append("mde %.0f%%" % r["mde_pct"])
    for label in ("A", "B"):
        if r[label.lower()]["unstable"]:
            notes.append("%s unstable: %s" % (label, r[label.lower()]["why"]))
    return "; ".join(notes)


def all_lines(report):
    head = ["benchmark", "metric", "A median", "±", "B median", "±", "B/A",
            "p", "q", "n A/B", "verdict", "notes"]
    lines = []
    for bm in report["benchmarks"]:
        for i, r in enumerate(bm["rows"]):
            lines.append([bm["name"] if i == 0 else "", r["metric"],
                          fmt_val(r["metric"], r["a"]["median"]),
                          fmt_ci(r["a"]), fmt_val(r["metric"], r["b"]["median"]),
                          fmt_ci(r["b"]),
                          "-" if r["ratio"] is None else "%.3f" % r["ratio"],
                          fmt_p(r["p"]), fmt_p(r["q"]),
                          "%d/%d" % (r["a"]["n"], r["b"]["n"]),
                          fmt_verdict(r), _all_notes(r)])
    widths = [max([len(h)] + [len(x[i]) for x in lines])
              for i, h in enumerate(head)]
    right = {2, 4, 6, 7, 8, 9}
    out = ["", "== every metric (medians ± 95 %% CI; q: p adjusted over the "
           "whole table, Benjamini-Hochberg; mde: the smallest change these "
           "repetitions see; a regression is worse by more than %g %% on a "
           "gated metric: time, p50, mean, rates, context switches)"
           % report["threshold_pct"]]
    for row in [head, ["-" * w for w in widths]] + lines:
        out.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths)))
                   .rstrip())
    return out


# ---- the views -------------------------------------------------------------------

def _markdown_head(lines):
    out = []
    for line in lines:
        if line.startswith("== "):
            out += ["", "**" + line[3:] + "**", ""]
        elif line:
            out.append("- " + line.strip())
    return out


def render(report, args):
    """{"head": text before compare.py's output, "body": the rest}."""
    head = head_lines(report)
    foot = foot_lines(report)
    if args.all:
        body = all_lines(report)
    else:
        fixed = len(head) + len(foot) + 5
        body = legend_lines(report) + family_lines(report, fixed, args.rows,
                                                   args.markdown)
    if args.markdown:
        head = ["## sockpair compare: A %s vs B %s" % (
            report["a"]["path"], report["b"]["path"]), ""] + \
            _markdown_head(head)
        foot = [""] + ["- " + x for x in foot]
    return {"head": "\n".join(head) + "\n",
            "body": "\n".join(body + [""] + foot) + "\n"}

