"""scripts/compare: A vs B with significance (see scripts/compare --help)."""
import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results as R  # noqa: E402

EX_REGRESSION, EX_USAGE, EX_DATAERR, EX_UNAVAILABLE = 3, 64, 65, 69
GBENCH_COMPARE = "/usr/share/benchmark/compare.py"
MIN_REPS = 9  # below this the U test says little (compare.py's own floor)

try:
    from scipy.stats import mannwhitneyu
except ImportError:  # reported when first needed
    mannwhitneyu = None


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print("compare: %s (see --help)" % message, file=sys.stderr)
        sys.exit(EX_USAGE)


def utest(a, b):
    """Two-sided Mann-Whitney U p-value, as compare.py computes it; 1.0
    when every value on both sides is the same."""
    if len(set(a) | set(b)) <= 1:
        return 1.0
    p = mannwhitneyu(a, b, alternative="two-sided").pvalue
    return 1.0 if math.isnan(p) else float(p)


def metric_rows(name, sa, sb):
    """(metric, A values, B values) for time and every counter either has."""
    mult = R.TO_NS.get(sa["unit"], 1.0)
    rows = [("time", [x / mult for x in sa["time"]],
             [x / mult for x in sb["time"]])]
    keys = list(sa["counters"])
    keys += [k for k in sb["counters"] if k not in sa["counters"]]
    for k in keys:
        rows.append((k, sa["counters"].get(k, []), sb["counters"].get(k, [])))
    return rows


def judge(metric, va, vb, timing_ok):
    """One table row as a dict; the verdict comes later (decide())."""
    row = {"metric": metric, "a_median": R.median(va),
           "b_median": R.median(vb), "a_reps": len(va), "b_reps": len(vb),
           "ratio": None, "p": None, "q": None, "significant": None,
           "verdict": ""}
    kernel_decided = bool(R.KERNEL_DECIDED.search(metric))
    if not timing_ok and not kernel_decided:
        row["verdict"] = "refused"
        return row
    if not va or not vb:
        row["verdict"] = "missing in " + ("A" if not va else "B")
        return row
    if row["a_median"]:
        row["ratio"] = row["b_median"] / row["a_median"]
    row["p"] = utest(va, vb)
    if len(va) < MIN_REPS or len(vb) < MIN_REPS:
        row["significant"] = "n<%d" % MIN_REPS
    return row


def benjamini_hochberg(rows):
    """Sets row["q"]: p-values adjusted for the false discovery rate over
    every judged row, so that a table of hundreds of rows does not flag a
    few by chance alone."""
    judged = sorted((r for r in rows if r["p"] is not None
                     and r["significant"] is None), key=lambda r: r["p"])
    m = len(judged)
    q = 1.0
    for k in range(m, 0, -1):
        r = judged[k - 1]
        q = min(q, r["p"] * m / k)
        r["q"] = q


def decide(row, args):
    if row["p"] is None or row["q"] is None:
        return
    row["significant"] = "yes" if row["p"] < args.alpha else "no"
    if row["q"] >= args.alpha or row["ratio"] is None:
        return
    metric = row["metric"]
    worse = (row["ratio"] < 1.0) if R.HIGHER_IS_BETTER.search(metric) \
        else (row["ratio"] > 1.0)
    if abs(row["ratio"] - 1.0) * 100.0 <= args.threshold:
        row["verdict"] = "within %g %%" % args.threshold
    elif not worse:
        row["verdict"] = "better"
    elif R.GATED.search(metric):
        row["verdict"] = "REGRESSION"
    else:
        row["verdict"] = "worse (not gated)"


def fmt(x):
    if x is None:
        return "-"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return ("%.4g" % x)
    return "%.3e" % x


def print_table(table, units):
    head = ("benchmark", "metric", "A median", "B median", "B/A", "p", "q",
            "p<alpha", "reps A/B", "verdict")
    lines = []
    for name, rows in table:
        for i, r in enumerate(rows):
            metric = r["metric"]
            if metric == "time":
                metric = "time (%s)" % units[name]
            lines.append((name if i == 0 else "", metric, fmt(r["a_median"]),
                          fmt(r["b_median"]),
                          "-" if r["ratio"] is None else "%.3f" % r["ratio"],
                          "-" if r["p"] is None else "%.4f" % r["p"],
                          "-" if r["q"] is None else "%.4f" % r["q"],
                          r["significant"] or "-",
                          "%d/%d" % (r["a_reps"], r["b_reps"]), r["verdict"]))
    widths = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h)
              for i, h in enumerate(head)]
    right = {2, 3, 4, 5, 6}

    def row(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(row(head))
    print(row(["-" * w for w in widths]))
    for l in lines:
        print(row(l))


IGNORED_ENV = ("timestamp_utc", "loadavg", "schema")
# Differences summed up in one line each: the vm's settings (the accelerator
# line says what matters) and the CPU vulnerabilities (they follow the
# kernel's mitigation code as much as the CPU).
GROUPED_ENV = {"vm": " (guest run settings; see the accelerator line)",
               "vulnerabilities": " (they follow the kernel's mitigations)"}


def env_report(a, b):
    """Warnings for every environment difference other than the kernel."""
    warn = []
    per = {}
    for label, side in (("A", a), ("B", b)):
        flat = []
        for path, run in side.runs:
            env = R.env_of(run)
            if env is None:
                warn.append("%s: %s has no recorded environment "
                            "(context.sockpair_env)" % (label, path))
                continue
            flat.append(R.flatten(env))
        per[label] = flat

    def values(label, key):
        return sorted({f.get(key, R.ABSENT) for f in per[label]})

    keys = sorted({k for label in per for f in per[label] for k in f})
    grouped, unrecorded = {}, set()
    for k in keys:
        if k.split(".")[0] in IGNORED_ENV or k.startswith("kernel.") or \
                k == "build.build_dir":
            continue
        va, vb = values("A", k), values("B", k)
        # "absent" = not recorded (an older run, a missing file): unknown,
        # not a difference; said once at the end.
        if R.ABSENT in va + vb and k.split(".")[0] != "vm":
            if set(va + vb) != {R.ABSENT}:
                unrecorded.add(k.split(".")[0])
            va = [v for v in va if v != R.ABSENT]
            vb = [v for v in vb if v != R.ABSENT]
            if not va or not vb:
                continue
        for label, v in (("A", va), ("B", vb)):
            if len(v) > 1:
                warn.append("%s's runs differ among themselves in %s: %s"
                            % (label, k, " | ".join(v)))
        if not (per["A"] and per["B"]) or va == vb:
            continue
        group = k.split(".")[0]
        if group in GROUPED_ENV:
            grouped.setdefault(group, []).append(k[len(group) + 1:])
            continue
        warn.append("%s differs: A %s; B %s"
                    % (k, " | ".join(va), " | ".join(vb)))
    for group, names in sorted(grouped.items()):
        warn.append("%s differ in %d entr%s%s: %s" % (
            group, len(names), "y" if len(names) == 1 else "ies",
            GROUPED_ENV[group], ", ".join(names)))
    if unrecorded:
        warn.append("not recorded in every run (\"absent\"), so not compared "
                    "there: %s" % ", ".join(sorted(unrecorded)))
    kern = {label: ", ".join(values(label, "kernel.release"))
            for label in per if per[label]}
    load = {}
    for label in per:
        l1 = []
        for f in per[label]:
            try:
                v = json.loads(f.get("loadavg", "null"))
            except ValueError:
                continue
            if isinstance(v, list) and v and isinstance(v[0], (int, float)):
                l1.append(v[0])
        if l1:
            load[label] = (min(l1), max(l1))
    return warn, kern, load


def compare_matrices(a, b):
    if not a.matrices or not b.matrices:
        return None
    def cells(m):
        return {(c.get("domain"), c.get("type"), c.get("protocol")): c
                for c in m.get("cells", [])}
    ca, cb = cells(a.matrices[-1][1]), cells(b.matrices[-1][1])
    diffs = []
    for key in sorted(set(ca) | set(cb), key=lambda k: tuple(
            -1 if x is None else x for x in k)):
        x, y = ca.get(key), cb.get(key)
        def desc(c):
            if c is None:
                return "missing"
            if c.get("ok"):
                return "ok (%s)" % c.get("method")
            return str(c.get("errno"))
        if desc(x) != desc(y):
            c = x or y
            diffs.append("%s %s %s: A %s, B %s" % (
                c.get("domain_name"), c.get("type_name"),
                c.get("protocol_name"), desc(x), desc(y)))
    return len(set(ca) | set(cb)), diffs


def merged_for_gbench(side, names, path):
    """One JSON holding every repetition of every run, plus the pooled
    median and mean as aggregates (what compare.py -a shows), for
    compare.py."""
    entries, pooled = [], {}
    for _, run in side.runs:
        for e in run["benchmarks"]:
            if e.get("run_type", "iteration") == "iteration" and \
                    R.bench_key(e) in names and not e.get("error_occurred"):
                pooled.setdefault(R.bench_key(e), []).append(e)
    for key, es in sorted(pooled.items(), key=lambda kv: R.order_key(
            kv[1][0], 0)):
        entries += es
        unit = es[0].get("time_unit", "ns")
        same = [e for e in es if e.get("time_unit", "ns") == unit]
        for agg, f in (("median", R.median),
                       ("mean", lambda xs: sum(xs) / len(xs))):
            entries.append({
                "name": key + "_" + agg, "run_name": key,
                "run_type": "aggregate", "aggregate_name": agg,
                "repetitions": len(same), "threads": 1, "iterations": len(same),
                "time_unit": unit,
                "real_time": f([e["real_time"] for e in same]),
                "cpu_time": f([e["cpu_time"] for e in same])})
    ctx = dict(side.runs[0][1].get("context") or {})
    ctx.pop("sockpair_env", None)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"context": ctx, "benchmarks": entries}, f)


def run_gbench(a, b, names, every):
    if not os.path.exists(GBENCH_COMPARE):
        print("(Google Benchmark's compare.py is missing: install "
              "libbenchmark-tools)")
        return
    with tempfile.TemporaryDirectory(prefix="sp-compare-") as tmp:
        fa, fb = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
        merged_for_gbench(a, names, fa)
        merged_for_gbench(b, names, fb)
        try:
            argv = ["/usr/bin/python3", GBENCH_COMPARE, "--no-color"]
            argv += [] if every else ["-a"]
            p = subprocess.run(argv + ["benchmarks", fa, fb],
                               capture_output=True, text=True, timeout=300,
                               check=False)
        except (OSError, subprocess.SubprocessError) as e:
            print("(compare.py failed: %s)" % e)
            return
        sys.stdout.write(p.stdout)
        if p.returncode:
            print("(compare.py exited %d: %s)" % (p.returncode,
                                                   p.stderr.strip()))


def suite_of(run):
    return str((run.get("context") or {}).get("suite", R.ABSENT))


def choose_suite(a, b, args):
    """Keeps the runs of one suite per side (context.suite, set by
    scripts/bench): quick and default runs have other settings and must not
    be pooled. Returns a note, or an exit code."""
    sa = {suite_of(r) for _, r in a.runs}
    sb = {suite_of(r) for _, r in b.runs}
    common = sa & sb
    if "default" in common:
        shared = "default"
    elif common:
        shared = max(sorted(common), key=lambda x: sum(
            1 for _, r in a.runs + b.runs if suite_of(r) == x))
    else:
        shared = None

    def pick(side, have, wanted):
        if wanted:
            return wanted
        if len(have) <= 1:
            return None
        if shared:
            return shared
        for name in ("default", "quick"):
            if name in have:
                return name
        return suite_of(side.runs[-1][1])  # the newest run's (names sort)
    picks = {"A": pick(a, sa, args.suite_a or args.suite),
             "B": pick(b, sb, args.suite_b or args.suite)}
    for label, side in (("A", a), ("B", b)):
        want = picks[label]
        if want is None:
            continue
        kept = [(f, r) for f, r in side.runs if suite_of(r) == want]
        if side.runs and not kept:
            print("compare: %s (%s) has no run of suite '%s' (it has: %s)"
                  % (label, side.path, want, ", ".join(sorted(
                      {suite_of(r) for _, r in side.runs}))), file=sys.stderr)
            return EX_DATAERR
        side.runs = kept
    fa = picks["A"] or ", ".join(sorted(sa))
    fb = picks["B"] or ", ".join(sorted(sb))
    if picks["A"] is None and picks["B"] is None and sa == sb:
        return None
    note = "suite: A %s; B %s" % (fa, fb)
    if len(sa) > 1 or len(sb) > 1:
        note += " (the sides hold: A %s; B %s; --suite, --suite-a, " \
            "--suite-b choose)" % (", ".join(sorted(sa)), ", ".join(sorted(sb)))
    if fa != fb:
        note = "warning: " + note + "; other suites have other repetitions " \
            "and times"
    return note


def main(argv):
    p = Parser(prog="scripts/compare", add_help=False)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--threshold", type=float, default=10.0)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--force", action="store_true")
    p.add_argument("--filter", default=None)
    p.add_argument("--suite", default=None)
    p.add_argument("--suite-a", default=None)
    p.add_argument("--suite-b", default=None)
    p.add_argument("--no-gbench", action="store_true")
    p.add_argument("--gbench-all", action="store_true")
    p.add_argument("--json", dest="json_out", default=None)
    args = p.parse_args(argv)
    if args.threshold < 0 or not 0 < args.alpha < 1:
        p.error("--threshold must be >= 0 and --alpha in (0, 1)")
    if mannwhitneyu is None:
        print("compare: scipy is missing: install python3-scipy and run with "
              "/usr/bin/python3", file=sys.stderr)
        return EX_UNAVAILABLE
    for arg in (args.a, args.b):
        for path in arg.split(","):
            if not os.path.exists(path):
                print("compare: %s does not exist" % path, file=sys.stderr)
                return EX_DATAERR
    a, b = R.load_side(args.a), R.load_side(args.b)
    for label, side in (("A", a), ("B", b)):
        if not side.runs and not side.matrices:
            print("compare: %s (%s) holds no benchmark run or matrix"
                  % (label, side.path), file=sys.stderr)
            return EX_DATAERR

    suite_note = choose_suite(a, b, args)
    if isinstance(suite_note, int):
        return suite_note
    print("A: %s — %d run(s)%s" % (a.path, len(a.runs),
          ", %d matrix" % len(a.matrices) if a.matrices else ""))
    print("B: %s — %d run(s)%s" % (b.path, len(b.runs),
          ", %d matrix" % len(b.matrices) if b.matrices else ""))
    if suite_note:
        print(suite_note)
    warn, kern, load = env_report(a, b)
    if kern:
        print("kernel: " + "; ".join("%s %s" % kv for kv in sorted(kern.items())))
    if load:
        print("load average (1 min) at the start of the runs: " + "; ".join(
            "%s %.2f-%.2f" % (k, lo, hi) for k, (lo, hi) in sorted(load.items())))
    for w in warn:
        print("warning: " + w)

    idents = {}
    for label, side in (("A", a), ("B", b)):
        for _, run in side.runs:
            idents.setdefault(R.accelerator_identity(R.env_of(run)),
                              set()).add(label)
    timing_ok = len(idents) <= 1 or args.force
    if len(idents) > 1:
        what = "; ".join("%s: %s" % ("+".join(sorted(v)),
                                     R.describe_identity(k))
                         for k, v in sorted(idents.items()))
        if args.force:
            print("warning: timings compared across accelerators (--force): "
                  + what)
        else:
            print("timing comparison REFUSED: the runs do not share an "
                  "accelerator (%s). Under emulation a time measures the "
                  "emulator, not the kernel. Compared below: what the kernel "
                  "decides (matrix, errnos, context switches per round trip, "
                  "largest datagram). --force compares timings anyway."
                  % what)

    mx = compare_matrices(a, b)
    if mx is None and (a.matrices or b.matrices):
        print("\n== matrix: only %s holds one (store the other kernel's with "
              "scripts/record --matrix)" % ("A" if a.matrices else "B"))
    if mx is not None:
        n, diffs = mx
        print("\n== matrix: %s" % ("identical (%d cells)" % n if not diffs
                                   else "%d of %d cells differ" % (len(diffs), n)))
        for d in diffs:
            print("  " + d)

    sa, sb = R.samples(a.runs), R.samples(b.runs)
    flt = re.compile(args.filter) if args.filter else None
    names = [n for n in sa if n in sb and (flt is None or flt.search(n))]
    only = [("A", n) for n in sa if n not in sb] + \
           [("B", n) for n in sb if n not in sa]
    if timing_ok and names and not args.no_gbench:
        print("\n== Google Benchmark compare.py (Mann-Whitney U on time over "
              "every repetition; rows: pooled median and mean; "
              "A = baseline, B = contender)")
        run_gbench(a, b, set(names), args.gbench_all)

    table, units = [], {}
    for n in names:
        units[n] = sa[n]["unit"]
        if not (sa[n]["time"] or sa[n]["counters"]) and \
                not (sb[n]["time"] or sb[n]["counters"]):
            print("note: %s: nothing measured on either side (%s)"
                  % (n, (sa[n]["errors"] or sb[n]["errors"] or ["?"])[0]))
            continue
        rows = [judge(m, va, vb, timing_ok)
                for m, va, vb in metric_rows(n, sa[n], sb[n])]
        if not timing_ok:
            rows = [r for r in rows if r["verdict"] != "refused"]
        if rows:
            table.append((n, rows))
        for label, s in (("A", sa[n]), ("B", sb[n])):
            if s["errors"]:
                skip = s["errors"][0].startswith("skip:")
                print("%s: %s %s: %d repetition(s) %s: %s"
                      % ("note" if skip else "warning", label, n,
                         len(s["errors"]), "skipped" if skip else "failed",
                         s["errors"][0]))
    all_rows = [r for _, rs in table for r in rs]
    benjamini_hochberg(all_rows)
    for r in all_rows:
        decide(r, args)
    if table:
        print("\n== summary (medians; B/A ratio; p: two-sided Mann-Whitney U; "
              "q: p adjusted over the whole table (Benjamini-Hochberg); "
              "verdicts need q < %g; a regression is worse by more than %g %% "
              "on a gated metric)" % (args.alpha, args.threshold))
        print_table(table, units)
    for label, n in only:
        print("note: %s only in %s" % (n, label))

    rows = [r for _, rs in table for r in rs]
    sig = sum(1 for r in rows if r["significant"] == "yes")
    regress = [(n, r) for n, rs in table for r in rs
               if r["verdict"] == "REGRESSION"]
    time_sig = sum(1 for _, rs in table for r in rs
                   if r["metric"] == "time" and r["significant"] == "yes")
    fdr = sum(1 for r in rows if r["q"] is not None and r["q"] < args.alpha)
    print("\n%d benchmark(s) compared, %d metric row(s); %d with p < %g "
          "(time: %d of %d benchmarks); %d with q < %g; %d regression(s) "
          "beyond %g %%" % (len(table), len(rows), sig, args.alpha, time_sig,
                            len(table), fdr, args.alpha, len(regress),
                            args.threshold))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump({"a": args.a, "b": args.b, "timing_compared": timing_ok,
                       "warnings": warn, "benchmarks": [
                           {"name": n, "unit": units[n], "rows": rs}
                           for n, rs in table]}, f, indent=1)
    if regress:
        for n, r in regress:
            print("REGRESSION: %s %s: %s -> %s (x%.3f, p=%.4g, q=%.4g)"
                  % (n, r["metric"], fmt(r["a_median"]), fmt(r["b_median"]),
                     r["ratio"], r["p"], r["q"]))
        return EX_REGRESSION
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    sys.exit(main(sys.argv[1:]))
