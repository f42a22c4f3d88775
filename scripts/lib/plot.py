"""scripts/plot: gnuplot PNG + SVG from results files (see scripts/plot --help).

Medians over every repetition (a directory pools its runs).  The data go
to gnuplot through temporary files; each image is rendered to a hidden
temporary name beside its final one and renamed into place.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results as R  # noqa: E402

EX_USAGE, EX_DATAERR, EX_UNAVAILABLE, EX_SOFTWARE = 64, 65, 69, 70

LAT = re.compile(r"^BM_Latency/([^/]+)/([^/]+)/([^/]+)/bytes:(\d+)")
TPUT = re.compile(r"^BM_Throughput/([^/]+)/([^/]+)/([^/]+)/bytes:(\d+)")
MSG = re.compile(r"^BM_Messaging/([^/]+)/([^/]+)/groups:(\d+)")
PAIRS = re.compile(r"^BM_Pairs/([^/]+)/([^/]+)/pairs:(\d+)")


# The A-vs-B charts: clustered bars, A beside B.
VS_STYLE = """set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set key below
set xtics rotate by -30
"""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print("plot: %s (see --help)" % message, file=sys.stderr)
        sys.exit(EX_USAGE)


def med(s, metric):
    if metric == "time":
        return R.median(s["time"]) / 1e3 if s["time"] else None  # us
    v = s["counters"].get(metric)
    return R.median(v) if v else None


def latency_table(smp, mode, size):
    """transport -> {pin: (p50, p99)} in microseconds."""
    out = {}
    for name, s in smp.items():
        m = LAT.match(name)
        if not m or m.group(2) != mode or int(m.group(4)) != size:
            continue
        out.setdefault(m.group(1), {})[m.group(3)] = (
            med(s, "p50_us"), med(s, "p99_us"))
    return out


def throughput_table(smp, buf):
    """transport -> [(size, GB/s, loss %)] sorted by size."""
    out = {}
    for name, s in smp.items():
        m = TPUT.match(name)
        if not m or m.group(3) != buf:
            continue
        bps = med(s, "bytes_per_second")
        if bps is None:
            continue
        out.setdefault(m.group(1), []).append(
            (int(m.group(4)), bps / 1e9, med(s, "loss_pct")))
    for v in out.values():
        v.sort()
    return out


def contention_table(smp, regex, mode, metrics):
    """transport -> [(x, metric...)] sorted by x (groups or pairs)."""
    out = {}
    for name, s in smp.items():
        m = regex.match(name)
        if not m or m.group(2) != mode:
            continue
        vals = [med(s, k) for k in metrics]
        if vals[0] is None:
            continue
        out.setdefault(m.group(1), []).append((int(m.group(3)),) +
                                               tuple(vals))
    for v in out.values():
        v.sort()
    return out


def messaging_table(smp, mode):
    """transport -> [(groups, messages/s, p99 us, loss %)]."""
    return contention_table(smp, MSG, mode,
                            ("items_per_second", "p99_us", "loss_pct"))


def pairs_table(smp, mode):
    """transport -> [(pairs, aggregate round trips/s, efficiency)]."""
    return contention_table(smp, PAIRS, mode,
                            ("items_per_second", "scaling_efficiency"))


def size_name(n):
    for unit, mult in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= mult and n % mult == 0:
            return "%d %s" % (n // mult, unit)
    return "%d B" % n


def num(x):
    return "NaN" if x is None else "%.6g" % x


def side_label(side):
    def one(run):
        env = R.env_of(run) or {}
        name = str((env.get("kernel") or {}).get("release", "?"))
        ident = R.accelerator_identity(env)
        return name if ident == ("native",) else name + "(" + ident[0] + ")"
    kernels = sorted({one(r) for _, r in side.runs})
    return re.sub(r"\s+", "_", ",".join(kernels)) if kernels else \
        os.path.basename(os.path.normpath(side.path))


def run_note(side, smp):
    """' (suite quick, 1 run, 1 repetition)': how much the medians hold."""
    suites = sorted({str((r.get("context") or {}).get("suite", "?"))
                     for _, r in side.runs})
    reps = R.median([len(s["time"]) for s in smp.values() if s["time"]]) or 0
    return " (suite %s, %d run%s, %g repetition%s)" % (
        ",".join(suites), len(side.runs), "" if len(side.runs) == 1 else "s",
        reps, "" if reps == 1 else "s")


def gnuplot(script, outputs):
    """Runs the script once per terminal; outputs: final paths sans suffix."""
    for term, ext in (("pngcairo size 1000,600 noenhanced", "png"),
                      ("svg size 1000,600 noenhanced dynamic", "svg")):
        tmps = []
        body = script
        for i, base in enumerate(outputs):
            d, b = os.path.split(base)
            tmp = os.path.join(d, ".%s.%d.tmp.%s" % (b, os.getpid(), ext))
            tmps.append((tmp, base + "." + ext))
            body = body.replace("@OUT%d@" % i, tmp.replace("'", "''"))
        body = "set terminal %s\n%s" % (term, body)
        try:
            p = subprocess.run(["gnuplot"], input=body, text=True,
                               capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            for tmp, _ in tmps:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            raise RuntimeError("gnuplot: %s" % e)
        if p.returncode:
            for tmp, _ in tmps:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            raise RuntimeError("gnuplot failed: %s" % p.stderr.strip())
        for tmp, final in tmps:
            os.replace(tmp, final)
            print(final)


def plot_latency(tab, title, base, tmp):
    pins = ["same-cpu", "diff-cpu", "unpinned"]
    pins = [p for p in pins if any(p in v for v in tab.values())]
    dat = os.path.join(tmp, "lat.dat")
    with open(dat, "w") as f:
        f.write("transport " + " ".join("p50:%s p99:%s" % (p, p) for p in pins)
                + "\n")
        for t, v in tab.items():
            cols = []
            for p in pins:
                p50, p99 = v.get(p, (None, None))
                cols += [num(p50), num(p99)]
            f.write("%s %s\n" % (t, " ".join(cols)))
    using = ", ".join(
        "'%s' using %d:xtic(1) title columnhead" % (dat, i + 2)
        for i in range(2 * len(pins)))
    gnuplot("""set output '@OUT0@'
set title '%s'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel 'round trip (us, log scale)'
set logscale y
set yrange [1:*]
set grid ytics
set key outside below horizontal
set xtics rotate by -30
plot %s
""" % (title, using), [base])


def plot_throughput(tab, title, base, tmp):
    plots, sizes = [], set()
    for i, (t, rows) in enumerate(sorted(tab.items())):
        sizes |= {r[0] for r in rows}
        dat = os.path.join(tmp, "tp%d.dat" % i)
        with open(dat, "w") as f:
            for size, gbs, _ in rows:
                f.write("%d %s\n" % (size, num(gbs)))
        losses = [r[2] for r in rows if r[2] is not None]
        name = t + (" (loss up to %.0f %%)" % max(losses) if losses else "")
        plots.append("'%s' using 1:2 with linespoints lw 2 title '%s'"
                     % (dat, name))
    gnuplot("""set output '@OUT0@'
set title '%s'
set xlabel 'message size (bytes)'
set ylabel 'one-way throughput (GB/s)'
set logscale x 2
set logscale y
set xtics (%s)
set grid
set key outside right
plot %s
""" % (title, ", ".join("'%s' %d" % (size_name(z), z) for z in sorted(sizes)),
       ", ".join(plots)), [base])


def line_data(tab, tmp, prefix, cols):
    """One data file per transport: x then the chosen columns."""
    files = []
    for i, (t, rows) in enumerate(sorted(tab.items())):
        dat = os.path.join(tmp, "%s%d.dat" % (prefix, i))
        with open(dat, "w") as f:
            for r in rows:
                f.write("%d %s\n" % (r[0], " ".join(num(r[c]) for c in cols)))
        files.append((t, dat, rows))
    return files


def xrange(tab):
    """A little room either side of the counts (log scale)."""
    xs = [r[0] for rows in tab.values() for r in rows]
    return "%g:%g" % (min(xs) / 1.25, max(xs) * 1.25)


def xtics(tab):
    xs = sorted({r[0] for rows in tab.values() for r in rows})
    return ", ".join("'%d' %d" % (x, x) for x in xs)


def two_panels(title, tab, xlabel, left, right, base):
    """Left: a rate from 0; right: a log-scale figure; x: a log2 count."""
    gnuplot("""set output '@OUT0@'
set multiplot layout 1,2 title '%s'
set logscale x 2
set xrange [%s]
set xtics (%s)
set xlabel '%s'
set grid
set key top right font ',9'
set title '%s'
set yrange [0:*]
plot %s
set title '%s'
set logscale y
set yrange [*:*]
set key top left
plot %s
unset multiplot
""" % (title, xrange(tab), xtics(tab), xlabel, left[0], left[1], right[0],
       right[1]),
            [base])


def plot_messaging(tab, title, base, tmp):
    files = line_data(tab, tmp, "msg", (1, 2))

    def name(t, rows):
        losses = [r[3] for r in rows if r[3] is not None]
        return t + (" (loss up to %.0f %%)" % max(losses) if losses else "")
    rate = ", ".join("'%s' using 1:($2/1e3) with linespoints lw 2 title '%s'"
                     % (dat, name(t, rows)) for t, dat, rows in files)
    p99 = ", ".join("'%s' using 1:($3/1e3) with linespoints lw 2 title '%s'"
                    % (dat, t) for t, dat, _ in files)
    two_panels(title, tab, "groups (20 senders + 20 receivers each)",
               ("messages delivered per second (thousands)", rate),
               ("per-message delivery latency p99 (ms, log scale)", p99),
               base)


def plot_pairs(tab, title, base, tmp):
    files = line_data(tab, tmp, "pairs", (1, 2))
    agg = ", ".join("'%s' using 1:($2/1e3) with linespoints lw 2 title '%s'"
                    % (dat, t) for t, dat, _ in files)
    eff = ", ".join("'%s' using 1:3 with linespoints lw 2 title '%s'"
                    % (dat, t) for t, dat, _ in files)
    two_panels(title, tab, "ping-pong pairs at once",
               ("aggregate round trips per second (thousands)", agg),
               ("scaling efficiency: aggregate / (n x 1 pair), log scale",
                eff), base)


def pick(tab_a, tab_b, x, col):
    """transport -> (A, B) at x (None: the largest x both sides have)."""
    out = {}
    for t in sorted(set(tab_a) & set(tab_b)):
        a = {r[0]: r[col] for r in tab_a[t]}
        b = {r[0]: r[col] for r in tab_b[t]}
        common = sorted(set(a) & set(b))
        if common:
            at = x if x in common else common[-1]
            out[t] = (at, a[at], b[at])
    return out


def plot_vs_contention(ma, mb, pa, pb, name_a, name_b, groups, pairs, base,
                       tmp):
    panels = []
    for title, tab, scale, key in (
            ("messaging, processes: thousand messages / s (g: groups)",
             pick(ma, mb, groups, 1), 1e3, "g"),
            ("pairs, processes: scaling efficiency (n: pairs)",
             pick(pa, pb, pairs, 2), 1, "n")):
        if not tab:
            continue
        dat = os.path.join(tmp, "vs_%s.dat" % key)
        with open(dat, "w") as f:
            f.write("transport A:%s B:%s\n" % (name_a, name_b))
            for t, (x, a, b) in tab.items():
                f.write("%s(%s%d) %s %s\n" % (
                    t, key, x, num(None if a is None else a / scale),
                    num(None if b is None else b / scale)))
        panels.append("set title '%s'\nplot '%s' using 2:xtic(1) title "
                      "columnhead, '' using 3 title columnhead" % (title, dat))
    gnuplot("""set output '@OUT0@'
set multiplot layout 1,%d title 'kernel A: %s   vs   kernel B: %s'
%sset yrange [0:*]
%s
unset multiplot
""" % (len(panels), name_a, name_b, VS_STYLE, "\n".join(panels)), [base])


def plot_vs(la, lb, ta, tb, name_a, name_b, size, base, tmp):
    dat = os.path.join(tmp, "vs_lat.dat")
    with open(dat, "w") as f:
        f.write("transport A:%s B:%s\n" % (name_a, name_b))
        for t in la:
            if t in lb:
                a = la[t].get("same-cpu", (None, None))[0]
                b = lb[t].get("same-cpu", (None, None))[0]
                f.write("%s %s %s\n" % (t, num(a), num(b)))
    dat2 = os.path.join(tmp, "vs_tp.dat")
    with open(dat2, "w") as f:
        f.write("transport A:%s B:%s\n" % (name_a, name_b))
        for t in ta:
            if t in tb:
                a = dict((s, g) for s, g, _ in ta[t]).get(size)
                b = dict((s, g) for s, g, _ in tb[t]).get(size)
                f.write("%s %s %s\n" % (t, num(a), num(b)))
    gnuplot("""set output '@OUT0@'
set multiplot layout 1,2 title 'kernel A: %s   vs   kernel B: %s'
%sset title 'latency p50, processes, same CPU (us)'
set yrange [0:*]
plot '%s' using 2:xtic(1) title columnhead, '' using 3 title columnhead
set title 'throughput, %d B messages, same CPU (GB/s)'
plot '%s' using 2:xtic(1) title columnhead, '' using 3 title columnhead
unset multiplot
""" % (name_a, name_b, VS_STYLE, dat, size, dat2), [base])


def plot_contention(side, smp, mode, base, tmp):
    """The messaging and pairs charts of one side; how many were made.
    Their run notes count their own repetitions (a pass of their own)."""
    made = 0
    for family, table, draw, what, suffix in (
            ("BM_Messaging/", messaging_table, plot_messaging,
             "messaging (hackbench)", "-messaging"),
            ("BM_Pairs/", pairs_table, plot_pairs,
             "n ping-pong pairs at once", "-pairs")):
        tab = table(smp, mode)
        if not tab:
            continue
        own = {k: v for k, v in smp.items() if k.startswith(family)}
        draw(tab, "%s, %s mode - kernel %s%s" % (
            what, mode, side_label(side), run_note(side, own)),
            base + suffix, tmp)
        made += 1
    return made


def stem(path):
    if os.path.isdir(path):
        return os.path.join(path, "plots", "all")
    return os.path.splitext(path)[0]


def main(argv):
    p = Parser(prog="scripts/plot", add_help=False)
    p.add_argument("inputs", nargs="+")
    p.add_argument("--out")
    p.add_argument("--latency-size", type=int, default=64)
    p.add_argument("--throughput-size", type=int, default=65536)
    p.add_argument("--mode", default="process")
    p.add_argument("--buf", default="buf:default")
    p.add_argument("--groups", type=int)
    p.add_argument("--pairs", type=int, default=8)
    args = p.parse_args(argv)
    if len(args.inputs) > 2:
        p.error("one results file or directory, or two (A B)")
    if not shutil.which("gnuplot"):
        print("plot: gnuplot is missing: install gnuplot-nox", file=sys.stderr)
        return EX_UNAVAILABLE
    sides = []
    for path in args.inputs:
        try:
            side = R.load_side(path)
        except R.LoadError as e:
            print("plot: %s" % e, file=sys.stderr)
            return EX_DATAERR
        if not side.runs:
            print("plot: %s holds no benchmark run" % path, file=sys.stderr)
            return EX_DATAERR
        sides.append(side)
    last = args.inputs[-1]
    base = stem(last)
    if args.out:
        base = os.path.join(args.out, os.path.basename(base))
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    made = 0
    with tempfile.TemporaryDirectory(prefix="sp-plot-") as tmp:
        try:
            if len(sides) == 1:
                smp = R.samples(sides[0].runs)
                label = side_label(sides[0]) + run_note(sides[0], smp)
                lat = latency_table(smp, args.mode, args.latency_size)
                tp = throughput_table(smp, args.buf)
                if lat:
                    plot_latency(lat, "round-trip latency p50 / p99, %d B, "
                                 "%s mode - kernel %s"
                                 % (args.latency_size, args.mode, label),
                                 base + "-latency", tmp)
                    made += 1
                if tp:
                    plot_throughput(tp, "one-way throughput, same CPU, %s - "
                                    "kernel %s" % (args.buf, label),
                                    base + "-throughput", tmp)
                    made += 1
                made += plot_contention(sides[0], smp, args.mode, base, tmp)
            else:
                sa, sb = (R.samples(s.runs) for s in sides)
                la = latency_table(sa, args.mode, args.latency_size)
                lb = latency_table(sb, args.mode, args.latency_size)
                ta = throughput_table(sa, args.buf)
                tb = throughput_table(sb, args.buf)
                vs = "%s-vs-%s" % (
                    re.sub(r"[^\w.+-]", "_", side_label(sides[0])),
                    re.sub(r"[^\w.+-]", "_", side_label(sides[1])))
                vs = os.path.join(os.path.dirname(base), vs)
                if (set(la) & set(lb)) or (set(ta) & set(tb)):
                    plot_vs(la, lb, ta, tb, side_label(sides[0]),
                            side_label(sides[1]), args.throughput_size,
                            vs, tmp)
                    made += 1
                ma, mb = (messaging_table(x, "process") for x in (sa, sb))
                pa, pb = (pairs_table(x, "process") for x in (sa, sb))
                if (set(ma) & set(mb)) or (set(pa) & set(pb)):
                    plot_vs_contention(ma, mb, pa, pb, side_label(sides[0]),
                                       side_label(sides[1]), args.groups,
                                       args.pairs, vs + "-contention", tmp)
                    made += 1
        except RuntimeError as e:
            print("plot: %s" % e, file=sys.stderr)
            return EX_SOFTWARE
    if not made:
        print("plot: no BM_Latency / BM_Throughput / BM_Messaging / BM_Pairs "
              "benchmarks to plot",
              file=sys.stderr)
        return EX_DATAERR
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    sys.exit(main(sys.argv[1:]))
