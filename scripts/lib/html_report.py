"""scripts/compare --html: one self-contained page from a report.

Inline CSS and SVG only: no script, no font, no image, nothing fetched (a
Content-Security-Policy of default-src 'none' says so to the browser).
Sections: the sides and the environment, the verdict counts, a forest plot
of B/A per benchmark grouped by family and coloured by verdict, the
verdict tables, latency percentile curves per transport, scaling curves of
the contention families when the runs hold them, unstable benchmarks.
"""
import html
import math
import re

import compare_text as T
import drift as D
import results as R

COLOURS = {"worse": "#c0392b", "better": "#1e8449", "same": "#7f8c8d",
           "inconclusive": "#d68910"}
TINTS = {"worse": "#fbe3e0", "better": "#e0f3e6", "same": "#ffffff",
         "inconclusive": "#fdf2dc"}
SERIES = ["#1f77b4", "#ff7f0e", "#9467bd", "#2ca02c", "#8c564b", "#e377c2",
          "#17becf", "#bcbd22"]
PERCENTILES = [("p50_us", "p50"), ("p90_us", "p90"), ("p99_us", "p99"),
               ("p99.9_us", "p99.9")]
# Contention families: the count their names carry and what to draw.
SCALING = {"BM_Messaging": ("groups", ["items_per_second", "p99_us"]),
           "BM_Pairs": ("pairs", ["items_per_second", "scaling_efficiency"])}
CSS = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;
padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 14px}
td,th{padding:2px 8px;border-bottom:1px solid #e5e5e5;text-align:right;
white-space:nowrap}td:first-child,th:first-child{text-align:left;
font-family:monospace}td.v,th:last-child{text-align:left}
.badge{display:inline-block;padding:3px 10px;margin:2px 6px 2px 0;
border-radius:4px;color:#fff;font-weight:bold}
.note{color:#555;font-size:13px}.warn{color:#8a4b00}
.reg{color:#c0392b;font-weight:bold}.muted{color:#999}
.grid{display:flex;flex-wrap:wrap;gap:10px}
svg text{font-family:sans-serif}
"""


def esc(s):
    return html.escape(str(s), quote=True)


# ---- axes ----------------------------------------------------------------------

def log_ticks(lo, hi):
    """1-2-5 values within [lo, hi] (both > 0)."""
    out = []
    for e in range(math.floor(math.log10(lo)) - 1,
                   math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if lo <= v <= hi:
                out.append(v)
    return out if len(out) >= 2 else [lo, hi]


def lin_ticks(lo, hi):
    span = hi - lo or abs(hi) or 1.0
    step = 10.0 ** math.floor(math.log10(span / 4.0))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= 6:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


class Scale:
    """Maps values to pixels, linear or logarithmic."""

    def __init__(self, lo, hi, p0, p1, log):
        if log:
            lo, hi = max(lo, 1e-300), max(hi, 1e-300)
        if hi <= lo:
            lo, hi = (lo / 1.5, hi * 1.5) if log else (lo - 1, hi + 1)
        self.lo, self.hi, self.p0, self.p1, self.log = lo, hi, p0, p1, log

    def __call__(self, v):
        f = math.log if self.log else (lambda x: x)
        t = (f(max(v, 1e-300) if self.log else v) - f(self.lo)) / \
            (f(self.hi) - f(self.lo))
        return self.p0 + t * (self.p1 - self.p0)

    def ticks(self):
        return log_ticks(self.lo, self.hi) if self.log else \
            lin_ticks(self.lo, self.hi)


def _text(x, y, s, size=10, anchor="start", colour="#333", extra=""):
    return ('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" '
            'fill="%s"%s>%s</text>' % (x, y, size, anchor, colour, extra,
                                       esc(s)))


def _line(x1, y1, x2, y2, colour="#ccc", width=1, dash=None):
    d = ' stroke-dasharray="%s"' % dash if dash else ""
    return ('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" '
            'stroke-width="%g"%s/>' % (x1, y1, x2, y2, colour, width, d))


# ---- forest plot ------------------------------------------------------------------

def _ratio_of(r):
    """(estimate, lo, hi, confidence) of B/A for the plot, or None."""
    ci = r["ratio_ci"]
    if ci and ci[0]:
        return ci
    if r["ratio"]:
        return (r["ratio"], None, None, None)
    return None


def _forest_row(bm, y, x, label_w, width):
    r = bm["primary"]
    got = _ratio_of(r) if r else None
    colour = COLOURS.get(r["verdict"] if r else "", "#95a5a6")
    out = [_text(4, y + 4, bm["short"][:52], 10, extra=' font-family='
                 '"monospace"')]
    if not got:
        return out + [_text(label_w + 4, y + 4, "no ratio", 9, colour=colour)]
    est, lo, hi, conf = got
    lo_c, hi_c = x.lo, x.hi
    if lo is not None:
        dash = None if conf and conf >= 0.949 else "3,2"
        out.append(_line(x(min(max(lo, lo_c), hi_c)), y,
                         x(min(max(hi, lo_c), hi_c)), y, colour, 2, dash))
    cx = x(min(max(est, lo_c), hi_c))
    out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>'
               % (cx, y, colour))
    note = T.fmt_delta(r) if r["verdict"] in ("worse", "better") else \
        r["verdict"] + (" (drift)" if r["drift"] else "")
    out.append(_text(width - 4, y + 4, note, 10, "end", colour))
    return out


def _forest_axis(x, top, bottom, threshold, drift_log):
    band = (x(1.0 / (1.0 + threshold)), x(1.0 + threshold))
    out = ['<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#eef3f7"/>'
           % (band[0], top, band[1] - band[0], bottom - top)]
    if drift_log:
        lo, hi = (x(max(math.exp(-drift_log), x.lo)),
                  x(min(math.exp(drift_log), x.hi)))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="#d68910" fill-opacity="0.12" stroke="#d68910" '
                   'stroke-dasharray="4,3"/>' % (lo, top, hi - lo,
                                                 bottom - top))
    for t in (0.125, 0.25, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0,
              4.0, 8.0):
        if x.lo <= t <= x.hi:
            out.append(_line(x(t), top, x(t), bottom,
                             "#888" if t == 1.0 else "#e3e3e3"))
            out.append(_text(x(t), top - 4, "%g" % t, 10, "middle"))
            out.append(_text(x(t), bottom + 12, "%g" % t, 10, "middle"))
    return out


def _forest_metric(report):
    """The metric most families plot (their drift band is drawn)."""
    ms = [f["metric"] for f in report["families"]]
    return max(set(ms), key=ms.count) if ms else "time"


def forest_range(benches, threshold):
    """The B/A axis: every interval, at least twice the threshold band
    around 1, at most 1/8 to 8."""
    lo, hi = 1.0 / (1.0 + 2 * threshold), 1.0 + 2 * threshold
    for bm in benches:
        got = _ratio_of(bm["primary"])
        for v in (got or ())[:3]:
            if v:
                lo, hi = min(lo, v), max(hi, v)
    return max(lo / 1.05, 0.125), min(hi * 1.05, 8.0)


def forest(report):
    benches = [bm for bm in report["benchmarks"] if bm["primary"]]
    if not benches:
        return "<p class=note>Nothing to plot.</p>"
    width, label_w, right_w, row_h = 1100, 330, 110, 13
    lo, hi = forest_range(benches, report["threshold_pct"] / 100.0)
    x = Scale(lo, hi, label_w + 10, width - right_w, True)
    fams = {}
    for bm in benches:
        fams.setdefault(bm["family"], []).append(bm)
    top = 24
    y = top + 6
    body = []
    for fam in report["families"]:
        bms = fams.get(fam["name"], [])
        if not bms:
            continue
        y += 8
        body.append(_text(4, y + 6, "%s (%s: right of 1 is %s)" % (
            fam["name"], fam["metric"], "better" if R.HIGHER_IS_BETTER.search(
                fam["metric"]) else "worse"), 12, extra=' font-weight="bold"'))
        y += row_h + 4
        for bm in bms:
            body += _forest_row(bm, y, x, label_w, width)
            y += row_h
    bottom = y + 4
    axis = _forest_axis(x, top, bottom, report["threshold_pct"] / 100.0,
                        D.band_log(report.get("drift"),
                                   _forest_metric(report)))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'role="img" aria-label="forest plot of B/A">%s%s</svg>'
            % (width, bottom + 20, "".join(axis), "".join(body)))


# ---- line charts ----------------------------------------------------------------

def line_chart(title, series, xcat=None, xlog=False, ylog=True, metric="",
               size=(340, 220)):
    """series: [{"label", "colour", "dash", "points": [(x, y)]}]; xcat: the
    labels of a categorical x (x = 0, 1, …)."""
    w, h = size
    left, right, top, bottom = 58, 10, 22, 34
    pts = [p for s in series for p in s["points"] if p[1] is not None]
    if not pts:
        return ""
    ys = [p[1] for p in pts if not ylog or p[1] > 0]
    xs = [p[0] for p in pts]
    if not ys:
        return ""
    y = Scale(min(ys) / (1.15 if ylog else 1), max(ys) * 1.15, h - bottom,
              top, ylog)
    x = Scale(min(xs), max(xs), left + 8, w - right - 8, xlog) if not xcat \
        else Scale(0, max(len(xcat) - 1, 1), left + 12, w - right - 12, False)
    out = [_text(w / 2, 14, title, 12, "middle", extra=' font-weight="bold"')]
    for t in y.ticks():
        out.append(_line(left, y(t), w - right, y(t), "#eee"))
        out.append(_text(left - 4, y(t) + 3, T.fmt_val(metric, t), 9, "end"))
    xt = [(i, c) for i, c in enumerate(xcat)] if xcat else \
        [(v, "%g" % v) for v in sorted(set(xs))]
    for v, lab in xt:
        out.append(_line(x(v), top, x(v), h - bottom, "#f2f2f2"))
        out.append(_text(x(v), h - bottom + 14, lab, 9, "middle"))
    out.append(_line(left, h - bottom, w - right, h - bottom, "#999"))
    out.append(_line(left, top, left, h - bottom, "#999"))
    for s in series:
        p = [(x(a), y(b)) for a, b in s["points"]
             if b is not None and (not ylog or b > 0)]
        if not p:
            continue
        d = ' stroke-dasharray="5,3"' if s["dash"] else ""
        out.append('<polyline fill="none" stroke="%s" stroke-width="1.8"%s '
                   'points="%s"/>' % (s["colour"], d, " ".join(
                       "%.1f,%.1f" % q for q in p)))
        fill = "#fff" if s["dash"] else s["colour"]
        for q in p:
            out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s" '
                       'stroke="%s"/>' % (q[0], q[1], fill, s["colour"]))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'role="img" aria-label="%s">%s</svg>' % (w, h, esc(title),
                                                      "".join(out)))


def legend(items):
    """items: [(label, colour, dashed)] as a small SVG."""
    out, x = [], 4
    for label, colour, dashed in items:
        d = ' stroke-dasharray="5,3"' if dashed else ""
        out.append('<line x1="%d" y1="10" x2="%d" y2="10" stroke="%s" '
                   'stroke-width="2"%s/>' % (x, x + 24, colour, d))
        out.append(_text(x + 30, 14, label, 11))
        x += 40 + 7 * len(label)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20">'
            '%s</svg>' % (x, "".join(out)))


# ---- latency percentiles ------------------------------------------------------------

LAT = re.compile(r"^([^/]+)/([^/]+)/([^/]+)/bytes:(\d+)$")


def _latency_cases(report):
    """transport -> pin -> rows by metric, process mode, the most common
    message size of each transport (64 B; eventfd 8 B)."""
    found = {}
    for bm in report["benchmarks"]:
        m = LAT.match(bm["short"]) if bm["family"] == "BM_Latency" else None
        if not m or m.group(2) != "process":
            continue
        rows = {r["metric"]: r for r in bm["rows"]}
        found.setdefault(m.group(1), {}).setdefault(int(m.group(4)), {})[
            m.group(3)] = rows
    out = {}
    for t, sizes in found.items():
        size = 64 if 64 in sizes else sorted(sizes)[0]
        out[t] = (size, sizes[size])
    return out


def latency_curves(report):
    cases = _latency_cases(report)
    charts = []
    pins = []
    for t, (size, by_pin) in cases.items():
        series = []
        for pin, rows in by_pin.items():
            if pin not in pins:
                pins.append(pin)
            colour = SERIES[pins.index(pin) % len(SERIES)]
            for side, dash in (("a", False), ("b", True)):
                pts = [(i, rows[m][side]["median"]) for i, (m, _) in
                       enumerate(PERCENTILES) if m in rows]
                series.append({"colour": colour, "dash": dash,
                               "points": pts})
        charts.append(line_chart("%s, %d B" % (t, size), series,
                                 xcat=[lab for _, lab in PERCENTILES],
                                 metric="p50_us"))
    charts = [c for c in charts if c]
    if not charts:
        return "<p class=note>No latency percentiles (BM_Latency p50_us … " \
            "p99.9_us) in both runs.</p>"
    items = [(p, SERIES[i % len(SERIES)], False) for i, p in enumerate(pins)]
    return ("<p>%s %s</p><div class=grid>%s</div>" % (
        legend(items), legend([("A", "#555", False), ("B", "#555", True)]),
        "".join(charts)))


# ---- scaling curves ---------------------------------------------------------------

def _scaling_series(report, fam, key):
    """series name -> {count: rows by metric}."""
    rx = re.compile(r"^%s:(\d+)$" % key)
    out = {}
    for bm in report["benchmarks"]:
        if bm["family"] != fam:
            continue
        parts = bm["short"].split("/")
        counts = [int(rx.match(p).group(1)) for p in parts if rx.match(p)]
        if not counts:
            continue
        name = "/".join(p for p in parts if not rx.match(p))
        out.setdefault(name, {})[counts[0]] = {r["metric"]: r
                                               for r in bm["rows"]}
    return out


def _scaling_block(report, fam, key, metrics):
    series = _scaling_series(report, fam, key)
    names = sorted(series)
    charts = []
    for metric in metrics:
        lines = []
        for i, name in enumerate(names):
            pts = sorted(series[name].items())
            for side, dash in (("a", False), ("b", True)):
                lines.append({"colour": SERIES[i % len(SERIES)], "dash": dash,
                              "points": [(n, rows[metric][side]["median"])
                                         for n, rows in pts if metric in rows]})
        charts.append(line_chart("%s: %s by %s" % (fam, metric, key), lines,
                                 xlog=True, metric=metric, size=(560, 300),
                                 ylog=metric != "scaling_efficiency"))
    charts = [c for c in charts if c]
    if not charts:
        return ""
    items = [(n, SERIES[i % len(SERIES)], False) for i, n in enumerate(names)]
    return "<h3>%s</h3><p>%s %s</p><div class=grid>%s</div>" % (
        esc(fam), legend(items), legend([("A", "#555", False),
                                         ("B", "#555", True)]), "".join(charts))


def scaling_curves(report):
    parts = [_scaling_block(report, fam, key, metrics)
             for fam, (key, metrics) in SCALING.items()]
    parts = [p for p in parts if p]
    if not parts:
        return ("<p class=note>These runs hold no contention families "
                "(BM_Messaging, BM_Pairs): no scaling curves.</p>")
    return "".join(parts)


# ---- tables and text --------------------------------------------------------------

def _delta_cell(r):
    """The delta, or ~ and, muted, the change the medians show."""
    d = T.fmt_delta(r)
    if d == "~" and r["delta_pct"] is not None:
        return '~ <span class=muted>%+.1f%%</span>' % r["delta_pct"]
    return esc(d)


def verdict_table(fam, benches):
    rows = T.sorted_rows(benches)
    metric = T.METRIC_LABEL.get(fam["metric"], fam["metric"])
    out = ["<h3>%s</h3><table><tr><th>benchmark</th><th>A %s</th><th>B %s"
           "</th><th>delta</th><th>p</th><th>q</th><th>n</th><th>verdict</th>"
           "</tr>" % (esc(T.family_title(fam)), esc(metric), esc(metric))]
    for bm in rows:
        r = bm["primary"]
        v = r["verdict"]
        out.append(
            '<tr style="background:%s"><td>%s</td><td>%s %s</td><td>%s %s</td>'
            "<td>%s</td><td>%s</td><td>%s</td><td>%d/%d</td>"
            '<td class=v style="color:%s">%s</td></tr>' % (
                TINTS.get(v, "#fff"), esc(bm["short"]),
                esc(T.fmt_val(r["metric"], r["a"]["median"])),
                esc(T.fmt_ci(r["a"])),
                esc(T.fmt_val(r["metric"], r["b"]["median"])),
                esc(T.fmt_ci(r["b"])), _delta_cell(r), T.fmt_p(r["p"]),
                T.fmt_p(r["q"]), r["a"]["n"], r["b"]["n"],
                COLOURS.get(v, "#333"), esc(T.fmt_verdict(r))))
    g = fam["geomean"]
    if g["ratio"]:
        out.append("<tr><td><b>geomean</b></td><td>%s</td><td>%s</td>"
                   "<td>%+.1f%%</td><td></td><td></td><td>%d</td><td></td></tr>"
                   % (esc(T.fmt_val(fam["metric"], g["a"])),
                      esc(T.fmt_val(fam["metric"], g["b"])),
                      100.0 * (g["ratio"] - 1.0), g["n"]))
    return "".join(out) + "</table>"


def unstable_list(report):
    items = []
    for bm in report["benchmarks"]:
        r = bm["primary"]
        if not r:
            continue
        why = ["%s: %s" % (label, r[label.lower()]["why"]) for label in "AB"
               if r[label.lower()]["unstable"]]
        if why:
            items.append("<li><code>%s</code> — %s</li>"
                         % (esc(bm["name"]), esc("; ".join(why))))
    if not items:
        return "<p class=note>None.</p>"
    return "<ul>%s</ul>" % "".join(items)


def _ns(v):
    return "-" if v is None else T.fmt_val("time", v)


def _within_table(drift):
    rows = []
    for label in ("A", "B"):
        for run in drift["within"][label]["runs"]:
            for canary, v in run["canaries"].items():
                rows.append("<tr><td>%s %s</td><td>%s</td><td>%s</td><td>%s"
                            "</td><td>%s</td><td>%s</td></tr>" % (
                                label, esc(D.label(canary)), _ns(v["start"]),
                                _ns(v["mid"]), _ns(v["end"]), _ns(v["range"]),
                                "-" if v["range_pct"] is None else
                                "%.1f %%" % v["range_pct"]))
    return ("<table><tr><th>side, canary (one row per run)</th><th>start</th>"
            "<th>mid</th><th>end</th><th>max - min</th><th>of the median"
            "</th></tr>%s</table>" % "".join(rows)) if rows else ""


def drift_block(report):
    """The canaries: B/A of each, the band, and the drift within runs."""
    drift = report.get("drift")
    notes = "".join("<p class=%s>%s</p>" % (
        "warn" if x.startswith(("warning", "note")) else "note", esc(x))
        for x in D.lines(drift, report["threshold_pct"]))
    if not drift or drift["missing"]:
        return notes or "<p class=note>Timings not compared: no drift.</p>"
    rows = []
    for ch in drift["changes"]:
        ci = ch["ratio_ci"]
        rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                    "<td>%s</td><td>%s</td><td>%s</td><td>%d/%d</td>"
                    "<td>%s</td></tr>" % (
                        esc(ch["label"]), esc(ch["metric"]),
                        esc(T.fmt_val(ch["metric"], ch["a_median"])),
                        esc(T.fmt_val(ch["metric"], ch["b_median"])),
                        "-" if ch["delta_pct"] is None else
                        "%+.1f %%" % ch["delta_pct"],
                        "%.3f - %.3f" % (ci[1], ci[2]) if ci and ci[1]
                        else "-", T.fmt_p(ch["p"]), ch["n"][0], ch["n"][1],
                        esc(ch["covers"])))
    return notes + ("<table><tr><th>canary</th><th>metric</th><th>A median"
                    "</th><th>B median"
                    "</th><th>change</th><th>B/A 95 %% interval</th><th>p</th>"
                    "<th>n</th><th>its band covers</th></tr>%s</table>"
                    % "".join(rows)) + \
        _within_table(drift)


def summary_block(report):
    o = report["overall"]
    badges = "".join('<span class=badge style="background:%s">%s %d</span>'
                     % (COLOURS[k], k, o["counts"].get(k, 0))
                     for k in ("worse", "better", "same", "inconclusive"))
    if o["counts"].get("drift"):
        badges += " (%d inconclusive within the drift band; without it: %s)" \
            % (o["counts"]["drift"], esc(T.counts_text(
                o["counts_without_band"])))
    lines = ["<p>%d benchmarks: %s</p>" % (o["benchmarks"], badges)]
    if o["time_geomean_ratio"]:
        lines.append("<p>Geomean of time B/A: <b>%+.1f %%</b> over %d "
                     "benchmarks.</p>" % (100 * (o["time_geomean_ratio"] - 1),
                                          o["time_n"]))
    regs = report["regressions"]
    if regs:
        by = {}
        for r in regs:
            by.setdefault(r["name"], []).append("%s %s → %s" % (
                r["metric"], T.fmt_val(r["metric"], r["a_median"]),
                T.fmt_val(r["metric"], r["b_median"])))
        items = ["<li><code>%s</code>: %s</li>" % (esc(n), esc(", ".join(m)))
                 for n, m in list(by.items())[:25]]
        if len(by) > 25:
            items.append("<li>… and %d more benchmarks (scripts/compare "
                         "--all)</li>" % (len(by) - 25))
        lines.append("<p class=reg>%d benchmark(s) regressed beyond %g %% "
                     "(exit 3):</p><ul>%s</ul>" % (
                         len(by), report["threshold_pct"], "".join(items)))
    else:
        lines.append("<p>No regression beyond %g %% (exit 0).</p>"
                     % report["threshold_pct"])
    return "".join(lines)


def environment(report):
    shown = set(D.lines(report.get("drift"), report["threshold_pct"]))
    head = [h for h in T.head_lines(report) if h not in shown]
    return "<ul>%s</ul>" % "".join(
        '<li%s>%s</li>' % (' class=warn' if h.startswith(("warning", "timing"))
                          else "", esc(h.lstrip("= ")))
        for h in head if h.strip())


def render(report):
    by = {}
    for bm in report["benchmarks"]:
        by.setdefault(bm["family"], []).append(bm)
    tables = "".join(verdict_table(f, by[f["name"]])
                     for f in report["families"])
    legend_text = " ".join(T.legend_lines(report)).strip()
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>sockpair compare: %(a)s vs %(b)s</title><style>%(css)s</style></head>
<body><h1>sockpair compare: A %(a)s vs B %(b)s</h1>
<h2 id=verdicts>Verdicts</h2>%(summary)s<p class=note>%(legend)s</p>
<h2 id=drift>Drift: the canaries</h2><p class=note>Three short benchmarks
run again at the start, middle and end of every run (BM_Canary/*): B/A of
each, and how far each moved within a run. A timing change whose interval
stays within the drift band (dashed amber in the plot below) is
inconclusive (drift).</p>%(drift)s
<h2 id=environment>Environment</h2>%(env)s
<h2 id=forest>B/A per benchmark</h2><p class=note>Point: B/A of the family's metric
(Hodges-Lehmann estimate); bar: its distribution-free interval (95 %%;
dashed: the best confidence these repetitions allow); shaded: within
±%(thr)g %%; dashed amber: the drift band; clipped at 1/8 and 8.</p>%(forest)s
<h2 id=tables>Tables</h2>%(tables)s
<h2 id=latency>Latency percentiles, A vs B</h2><p class=note>Medians over the
repetitions of each percentile counter; processes, one message size per
transport.</p>%(lat)s
<h2 id=scaling>Scaling</h2>%(scaling)s
<h2 id=unstable>Unstable repetitions</h2><p class=note>Coefficient of variation above
%(cv)g %%, or two groups apart (bimodal): distrust these medians.</p>%(unst)s
<p class=note>Written by scripts/compare --html.</p>
</body></html>
""" % {"a": esc(report["a"]["path"]), "b": esc(report["b"]["path"]),
       "css": CSS, "summary": summary_block(report),
       "legend": esc(legend_text), "env": environment(report),
       "drift": drift_block(report),
       "thr": report["threshold_pct"], "forest": forest(report),
       "tables": tables, "lat": latency_curves(report),
       "scaling": scaling_curves(report), "cv": report["unstable_cv_pct"],
       "unst": unstable_list(report)}
