#!/usr/bin/python3
"""Summary tables of a sockpair-bench JSON run (Markdown).

  summary.py RUN.json

Medians over repetitions (Google Benchmark's "median" aggregate; the run
itself when there was one repetition). Latency at 64 B in process mode,
throughput at 64 KiB and 1 MiB, create cost per transport, and the stream
layer's overhead as the ratio stream / raw of times measured in the same
run, messaging rates and p99 per transport and groups, pairs' scaling
efficiency. Skipped benchmarks show their reason.
"""
import json
import sys

TRANSPORTS = ["unix-stream", "unix-dgram", "unix-seqpacket", "tcp4", "tcp6",
              "udp4", "udp6", "pipe", "eventfd"]


def load(path):
    with open(path) as f:
        doc = json.load(f)
    runs, errors = {}, {}
    for b in doc.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "")
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                runs[name] = b
        else:
            runs.setdefault(name, b)
    return doc, runs, errors


def fmt(v, digits=1):
    if v is None:
        return "-"
    return f"{v:.{digits}f}"


def cell(runs, errors, name, key, scale=1.0, digits=1):
    if name in errors:
        return "skip" if errors[name].startswith("skip:") else "ERROR"
    b = runs.get(name)
    if not b or key not in b:
        return "-"
    return fmt(b[key] * scale, digits)


def table(head, rows):
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()


def latency(runs, errors):
    print("### Latency, ping-pong, 64 B (eventfd: 8 B), process mode; "
          "µs, context switches per round trip (both sides)\n")
    rows = []
    for t in TRANSPORTS:
        size = 8 if t == "eventfd" else 64
        r = [t]
        for pin in ("same-cpu", "diff-cpu"):
            n = f"BM_Latency/{t}/process/{pin}/bytes:{size}/manual_time"
            r += [cell(runs, errors, n, "p50_us"),
                  cell(runs, errors, n, "p99_us"),
                  cell(runs, errors, n, "csw_per_rt", digits=2)]
        rows.append(r)
    table(["transport", "same p50", "same p99", "same csw/RT", "diff p50",
           "diff p99", "diff csw/RT"], rows)


def throughput(runs, errors):
    print("### Throughput, one-way, same CPU; GB/s delivered "
          "(UDP: loss %)\n")
    rows = []
    for t in TRANSPORTS[:-1]:
        r = [t]
        for size in (65536, 1048576):
            for buf in ("default", "4MiB"):
                n = (f"BM_Throughput/{t}/same-cpu/buf:{buf}/bytes:{size}"
                     "/manual_time")
                c = cell(runs, errors, n, "bytes_per_second", 1e-9, 2)
                if t.startswith("udp") and n in runs:
                    c += f" ({fmt(runs[n].get('loss_pct'))} %)"
                r.append(c)
        rows.append(r)
    table(["transport", "64 KiB default", "64 KiB 4 MiB bufs",
           "1 MiB default", "1 MiB 4 MiB bufs"], rows)
    print("Small messages; M messages/s delivered (UDP: loss %)\n")
    rows = []
    for t in TRANSPORTS[:-1]:
        r = [t]
        for size in (64, 4096):
            for buf in ("default", "4MiB"):
                n = (f"BM_Throughput/{t}/same-cpu/buf:{buf}/bytes:{size}"
                     "/manual_time")
                c = cell(runs, errors, n, "items_per_second", 1e-6, 3)
                if t.startswith("udp") and n in runs:
                    c += f" ({fmt(runs[n].get('loss_pct'))} %)"
                r.append(c)
        rows.append(r)
    table(["transport", "64 B default", "64 B 4 MiB bufs", "4 KiB default",
           "4 KiB 4 MiB bufs"], rows)


def create(runs, errors):
    print("### Create + close a pair; µs, and × raw socketpair()\n")
    base = runs.get("BM_Create/raw-socketpair", {}).get("real_time")
    rows = []
    order = {t: i for i, t in enumerate(TRANSPORTS +
                                        ["raw-socketpair", "raw-pipe2"])}
    names = sorted((n for n in list(runs) + list(errors)
                    if n.startswith("BM_Create/")),
                   key=lambda n: order.get(n.split("/")[1], 99))
    for n in names:
        b = runs.get(n)
        us = b["real_time"] if b else None  # Unit(us)
        ratio = us / base if us and base else None
        rows.append([n[len("BM_Create/"):].split("/")[0],
                     cell(runs, errors, n, "real_time"), fmt(ratio, 2)])
    table(["transport", "µs", "× socketpair"], rows)


def stream(runs, errors):
    print("### Stream layer overhead: time(sp_stream) / time(raw), "
          "same run\n")
    rows = []
    for fam, size in (("BM_StreamLine", 64), ("BM_StreamBulk", 65536)):
        for t in TRANSPORTS:
            raw = runs.get(f"{fam}/{t}/raw/bytes:{size}/manual_time")
            st = runs.get(f"{fam}/{t}/stream/bytes:{size}/manual_time")
            if not raw or not st:
                continue
            rows.append([fam[len("BM_Stream"):].lower(), t,
                         fmt(raw["real_time"], 2), fmt(st["real_time"], 2),
                         fmt(st["real_time"] / raw["real_time"], 2)])
    if rows:
        table(["test", "transport", "raw µs", "stream µs", "ratio"], rows)
    else:
        print("(no stream-layer benchmarks in this run)\n")


def floors(runs, errors):
    rows = []
    for n in ("BM_Floor/getppid", "BM_Floor/clock_gettime"):
        rows.append([n[len("BM_Floor/"):],
                     cell(runs, errors, n, "real_time", digits=1) + " ns"])
    for size in (64, 4096, 65536, 1048576):
        n = f"BM_Floor/memcpy/bytes:{size}"
        rows.append([f"memcpy {size} B",
                     cell(runs, errors, n, "bytes_per_second", 1e-9, 1) +
                     " GB/s"])
    print("### Floors\n")
    table(["what", "median"], rows)


def axis(runs, errors, family, key):
    """The sorted values of key (groups, pairs) among the family's names."""
    vals = set()
    for n in list(runs) + list(errors):
        if n.startswith(family + "/"):
            for part in n.split("/"):
                if part.startswith(key + ":"):
                    vals.add(int(part[len(key) + 1:]))
    return sorted(vals)


def contention(runs, errors):
    groups = axis(runs, errors, "BM_Messaging", "groups")
    pairs = axis(runs, errors, "BM_Pairs", "pairs")
    for mode in ("process", "thread") if groups else ():
        print(f"### Messaging (hackbench), {mode} mode; thousand messages/s "
              "(per-message p99, ms; UDP: loss %)\n")
        rows = []
        for t in TRANSPORTS[:-1]:
            r = [t]
            for g in groups:
                n = f"BM_Messaging/{t}/{mode}/groups:{g}/manual_time"
                c = cell(runs, errors, n, "items_per_second", 1e-3, 1)
                if n in runs:
                    c += f" ({fmt(runs[n].get('p99_us', 0) * 1e-3, 1)}"
                    if "loss_pct" in runs[n]:
                        c += f"; {fmt(runs[n]['loss_pct'])} %"
                    c += ")"
                r.append(c)
            rows.append(r)
        table(["transport"] + [f"groups {g}" for g in groups], rows)
    for mode in ("process", "thread") if pairs else ():
        print(f"### Pairs at once, {mode} mode; scaling efficiency "
              "(aggregate / n × one pair alone)\n")
        rows = []
        for t in TRANSPORTS:
            r = [t]
            for k in pairs:
                n = f"BM_Pairs/{t}/{mode}/pairs:{k}/manual_time"
                r.append(cell(runs, errors, n, "scaling_efficiency", 1, 2))
            rows.append(r)
        table(["transport"] + [f"n={k}" for k in pairs], rows)


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    doc, runs, errors = load(argv[0])
    ctx = doc.get("context", {})
    print(f"## sockpair-bench summary ({ctx.get('date', '?')}, "
          f"{ctx.get('num_cpus', '?')} CPUs, medians)\n")
    latency(runs, errors)
    throughput(runs, errors)
    create(runs, errors)
    stream(runs, errors)
    floors(runs, errors)
    contention(runs, errors)
    failed = sorted(n for n, m in errors.items() if not m.startswith("skip:"))
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
