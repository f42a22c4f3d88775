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
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set key below
set xtics rotate by -30
set title 'latency p50, processes, same CPU (us)'
set yrange [0:*]
plot '%s' using 2:xtic(1) title columnhead, '' using 3 title columnhead
set title 'throughput, %d B messages, same CPU (GB/s)'
plot '%s' using 2:xtic(1) title columnhead, '' using 3 title columnhead
unset multiplot
""" % (name_a, name_b, dat, size, dat2), [base])


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
            else:
                sa, sb = (R.samples(s.runs) for s in sides)
                la = latency_table(sa, args.mode, args.latency_size)
                lb = latency_table(sb, args.mode, args.latency_size)
                ta = throughput_table(sa, args.buf)
                tb = throughput_table(sb, args.buf)
                if (set(la) & set(lb)) or (set(ta) & set(tb)):
                    vs = "%s-vs-%s" % (
                        re.sub(r"[^\w.+-]", "_", side_label(sides[0])),
                        re.sub(r"[^\w.+-]", "_", side_label(sides[1])))
                    plot_vs(la, lb, ta, tb, side_label(sides[0]),
                            side_label(sides[1]), args.throughput_size,
                            os.path.join(os.path.dirname(base), vs), tmp)
                    made += 1
        except RuntimeError as e:
            print("plot: %s" % e, file=sys.stderr)
            return EX_SOFTWARE
    if not made:
        print("plot: no BM_Latency / BM_Throughput benchmarks to plot",
              file=sys.stderr)
        return EX_DATAERR
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    sys.exit(main(sys.argv[1:]))
