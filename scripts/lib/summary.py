#!/usr/bin/python3
"""Summary tables of a sockpair-bench JSON run (Markdown).

  summary.py RUN.json

Medians over repetitions (of a run that kept only aggregates: its median).
Latency at 64 B in process mode, throughput at 64 KiB and 1 MiB, create
cost per transport, and the stream layer's overhead as the ratio stream /
raw of times measured in the same run, messaging rates and per-message
p99 per transport and groups, pairs' scaling efficiency, and the canaries
(BM_Canary/*, run at the start, middle and end: how far the machine moved
within the run). Skipped benchmarks show their reason. A figure whose repetitions are unstable (a coefficient of variation
above results.UNSTABLE_CV, or two groups apart: results.stability()) is
marked †, and the last table lists every such benchmark of the run.
Exit: 0, 64 usage, 65 the file is not a usable run (one line says why).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_text as T  # noqa: E402
import drift as D  # noqa: E402
import results as R  # noqa: E402

TRANSPORTS = ["unix-stream", "unix-dgram", "unix-seqpacket", "tcp4", "tcp6",
              "udp4", "udp6", "pipe", "eventfd"]
UNSTABLE_MARK = " †"


def fmt(v, digits=1):
    if v is None:
        return "-"
    return f"{v:.{digits}f}"


def failed(s):
    """"skip" or "ERROR" for a benchmark with no measured repetition."""
    if s["errors"] and not s["time"]:
        return "skip" if s["errors"][0].startswith("skip:") else "ERROR"
    return None


def med(smp, name, key):
    s = smp.get(name)
    if not s or failed(s):
        return None
    return R.median(R.values(s, key)) if R.values(s, key) else None


def cell(smp, name, key, scale=1.0, digits=1):
    s = smp.get(name)
    if not s:
        return "-"
    if failed(s):
        return failed(s)
    xs = R.values(s, key)
    if not xs:
        return "-"
    mark = UNSTABLE_MARK if R.stability(xs)["unstable"] else ""
    return fmt(R.median(xs) * scale, digits) + mark


def table(head, rows):
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def latency(smp):
    print("### Latency, ping-pong, 64 B (eventfd: 8 B), process mode; "
          "µs, context switches per round trip (both sides)\n")
    rows = []
    for t in TRANSPORTS:
        size = 8 if t == "eventfd" else 64
        r = [t]
        for pin in ("same-cpu", "diff-cpu"):
            n = f"BM_Latency/{t}/process/{pin}/bytes:{size}/manual_time"
            r += [cell(smp, n, "p50_us"), cell(smp, n, "p99_us"),
                  cell(smp, n, "csw_per_rt", digits=2)]
        rows.append(r)
    table(["transport", "same p50", "same p99", "same csw/RT", "diff p50",
           "diff p99", "diff csw/RT"], rows)


def with_loss(smp, name, c):
    loss = med(smp, name, "loss_pct")
    return c + f" ({fmt(loss)} %)" if loss is not None else c


def rate_table(smp, key, scale, digits, sizes):
    rows = []
    for t in TRANSPORTS[:-1]:
        r = [t]
        for size in sizes:
            for buf in ("default", "4MiB"):
                n = (f"BM_Throughput/{t}/same-cpu/buf:{buf}/bytes:{size}"
                     "/manual_time")
                r.append(with_loss(smp, n, cell(smp, n, key, scale, digits)))
        rows.append(r)
    return rows


def throughput(smp):
    print("### Throughput, one-way, same CPU; GB/s delivered "
          "(UDP: loss %)\n")
    table(["transport", "64 KiB default", "64 KiB 4 MiB bufs",
           "1 MiB default", "1 MiB 4 MiB bufs"],
          rate_table(smp, "bytes_per_second", 1e-9, 2, (65536, 1048576)))
    print("Small messages; M messages/s delivered (UDP: loss %)\n")
    table(["transport", "64 B default", "64 B 4 MiB bufs", "4 KiB default",
           "4 KiB 4 MiB bufs"],
          rate_table(smp, "items_per_second", 1e-6, 3, (64, 4096)))


def create(smp):
    print("### Create + close a pair; µs, and × raw socketpair()\n")
    base = med(smp, "BM_Create/raw-socketpair", "time")
    order = {t: i for i, t in enumerate(TRANSPORTS +
                                        ["raw-socketpair", "raw-pipe2"])}
    names = sorted((n for n in smp if n.startswith("BM_Create/")),
                   key=lambda n: order.get(n.split("/")[1], 99))
    rows = []
    for n in names:
        t = med(smp, n, "time")
        ratio = t / base if t and base else None
        rows.append([R.short_name(n).split("/")[0],
                     cell(smp, n, "time", 1e-3), fmt(ratio, 2)])
    table(["transport", "µs", "× socketpair"], rows)


def stream(smp):
    print("### Stream layer overhead: time(sp_stream) / time(raw), "
          "same run\n")
    rows = []
    for fam, size in (("BM_StreamLine", 64), ("BM_StreamBulk", 65536)):
        for t in TRANSPORTS:
            raw = f"{fam}/{t}/raw/bytes:{size}/manual_time"
            st = f"{fam}/{t}/stream/bytes:{size}/manual_time"
            tr, ts = med(smp, raw, "time"), med(smp, st, "time")
            if not tr or not ts:
                continue
            rows.append([fam[len("BM_Stream"):].lower(), t,
                         cell(smp, raw, "time", 1e-3, 2),
                         cell(smp, st, "time", 1e-3, 2), fmt(ts / tr, 2)])
    if rows:
        table(["test", "transport", "raw µs", "stream µs", "ratio"], rows)
    else:
        print("(no stream-layer benchmarks in this run)\n")


def floors(smp):
    rows = []
    for n in ("BM_Floor/getppid", "BM_Floor/clock_gettime"):
        rows.append([R.short_name(n), cell(smp, n, "time") + " ns"])
    for size in (64, 4096, 65536, 1048576):
        n = f"BM_Floor/memcpy/bytes:{size}"
        rows.append([f"memcpy {size} B",
                     cell(smp, n, "bytes_per_second", 1e-9, 1) + " GB/s"])
    print("### Floors\n")
    table(["what", "median"], rows)


def axis(smp, family, key):
    """The sorted values of key (groups, pairs) in the family's names."""
    vals = set()
    for n in smp:
        if n.startswith(family + "/"):
            for part in n.split("/"):
                if part.startswith(key + ":"):
                    vals.add(int(part[len(key) + 1:]))
    return sorted(vals)


def by_transport(smp, family, key, title, transports, fmt_cell):
    """One table per mode: transports down, the values of key across."""
    xs = axis(smp, family, key)
    for mode in ("process", "thread") if xs else ():
        print(title % mode + "\n")
        rows = [[t] + [fmt_cell(smp, f"{family}/{t}/{mode}/{key}:{x}"
                                "/manual_time") for x in xs]
                for t in transports]
        table(["transport"] + [f"{key} {x}" for x in xs], rows)


def messaging_cell(smp, n):
    c = cell(smp, n, "items_per_second", 1e-3, 1)
    p99 = med(smp, n, "p99_us")
    return c if p99 is None else with_loss(smp, n,
                                           c + f" ({fmt(p99 * 1e-3, 1)})")


def messaging(smp):
    by_transport(smp, "BM_Messaging", "groups",
                 "### Messaging (hackbench), %s mode; thousand messages/s "
                 "(per-message p99, ms; UDP: loss %%)", TRANSPORTS[:-1],
                 messaging_cell)


def pairs(smp):
    by_transport(smp, "BM_Pairs", "pairs",
                 "### Pairs at once, %s mode; scaling efficiency "
                 "(aggregate / n × one pair alone)", TRANSPORTS,
                 lambda smp, n: cell(smp, n, "scaling_efficiency", 1, 2))


def canaries(runs):
    print("### Canaries: medians at the start, middle and end of the run; "
          "drift = max - min\n")
    rows = []
    for path, run in runs:
        for canary, v in D.within_run(run).items():
            rows.append([D.label(canary)] + [
                "-" if v[p] is None else T.fmt_val("time", v[p])
                for p in D.POSITIONS + ("range",)] + [
                "-" if v["range_pct"] is None else fmt(v["range_pct"]) + " %"])
    if rows:
        table(["canary", "start", "mid", "end", "drift", "drift %"], rows)
    else:
        print("(none: run with --sp_canaries, as scripts/bench does)\n")


def stability(smp):
    rows = []
    for n, s in smp.items():
        st = R.stability(s["time"])
        if st["unstable"]:
            rows.append([n, str(st["n"]), st["why"]])
    print("### Unstable repetitions (†): time CV > %.0f %% or bimodal\n"
          % (100 * R.UNSTABLE_CV))
    if rows:
        table(["benchmark", "n", "why"], rows)
    else:
        print("(none)\n")


def load_run(argv, doc, prog):
    """(samples, context, runs) of the run argv names, or an exit status after
    a message (64: usage, doc printed; 65: not a usable run)."""
    if len(argv) != 1:
        print(doc, file=sys.stderr)
        return 64
    path = argv[0]
    try:
        side = R.load_side(path)
    except R.LoadError as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 65
    if not side.runs:
        print("%s: %s: holds no benchmark run" % (prog, path), file=sys.stderr)
        return 65
    return (R.samples(side.runs), side.runs[0][1].get("context") or {},
            side.runs)


def main(argv):
    got = load_run(argv, __doc__, "summary")
    if isinstance(got, int):
        return got
    smp, ctx, runs = got
    print(f"## sockpair-bench summary ({ctx.get('date', '?')}, "
          f"{ctx.get('num_cpus', '?')} CPUs, medians)\n")
    for part in (latency, throughput, create, stream, floors, messaging, pairs):
        part(smp)
    canaries(runs)
    stability({n: s for n, s in smp.items() if not D.is_canary(n)})
    bad = sorted(n for n, s in smp.items() if failed(s) == "ERROR")
    if bad:
        print("FAILED: " + ", ".join(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
