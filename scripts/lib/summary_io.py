#!/usr/bin/python3
"""Summary tables of the I/O-path dimension of a sockpair-bench run.

  summary_io.py RUN.json

Medians over repetitions, as summary.py. Per transport: same-CPU and
cross-CPU ping-pong p50 for io:syscall and io:uring; one-way throughput at
64 B and 64 KiB for io:syscall, io:uring and io:mmsg (batches of 8 and
64); TCP zero-copy (MSG_ZEROCOPY, io_uring send_zc) at 64 KiB and 1 MiB.
Every figure comes with the system calls per message both sides made
(syscalls_per_msg: per round trip in BM_Latency), and the ratios are
against io:syscall in the same run.
"""
import sys

from summary import TRANSPORTS, cell, fmt, load, table


def ratio(runs, name, base, key):
    a, b = runs.get(name, {}).get(key), runs.get(base, {}).get(key)
    if not a or not b:
        return "-"
    return f"{a / b:.2f}"


def latency(runs, errors):
    print("### Latency by I/O path, ping-pong, 64 B, process mode; p50 µs, "
          "syscalls per round trip (both sides)\n")
    rows = []
    for t in TRANSPORTS[:-1]:
        r = [t]
        for pin in ("same-cpu", "diff-cpu"):
            base = f"BM_Latency/{t}/process/{pin}/bytes:64/manual_time"
            ur = f"BM_Latency/{t}/process/{pin}/io:uring/bytes:64/manual_time"
            r += [cell(runs, errors, base, "p50_us"),
                  cell(runs, errors, ur, "p50_us"),
                  ratio(runs, ur, base, "p50_us"),
                  cell(runs, errors, base, "syscalls_per_msg", digits=2),
                  cell(runs, errors, ur, "syscalls_per_msg", digits=2)]
        rows.append(r)
    table(["transport", "same syscall", "same uring", "uring/syscall",
           "sys/RT syscall", "sys/RT uring", "diff syscall", "diff uring",
           "uring/syscall", "sys/RT syscall", "sys/RT uring"], rows)


PATHS = [("syscall", ""), ("uring b8", "io:uring/batch:8/"),
         ("uring b64", "io:uring/batch:64/"), ("mmsg b8", "io:mmsg/batch:8/"),
         ("mmsg b64", "io:mmsg/batch:64/")]


def throughput(runs, errors):
    for size, key, scale, unit in ((64, "items_per_second", 1e-6, "M msg/s"),
                                   (65536, "bytes_per_second", 1e-9,
                                    "GB/s")):
        print(f"### Throughput by I/O path, one-way, same CPU, {size} B, "
              f"default buffers; {unit} delivered / syscalls per message "
              "(both sides); UDP: loss %\n")
        rows = []
        for t in TRANSPORTS[:-1]:
            r = [t]
            base = (f"BM_Throughput/{t}/same-cpu/buf:default/bytes:{size}"
                    "/manual_time")
            for _, seg in PATHS:
                n = (f"BM_Throughput/{t}/same-cpu/buf:default/{seg}"
                     f"bytes:{size}/manual_time")
                if n not in runs and n not in errors:
                    r.append("")
                    continue
                c = cell(runs, errors, n, key, scale, 3)
                if n in runs:
                    c += " / " + fmt(runs[n].get("syscalls_per_msg"), 3)
                    if seg:
                        c += f" (×{ratio(runs, n, base, key)})"
                    if t.startswith("udp"):
                        c += f" [{fmt(runs[n].get('loss_pct'))} %]"
                r.append(c)
            rows.append(r)
        table(["transport"] + [p for p, _ in PATHS], rows)


ZC = [("syscall", ""), ("zerocopy", "io:zerocopy/"),
      ("uring b8", "io:uring/batch:8/"), ("uring-zc b8", "io:uring-zc/batch:8/")]


def zerocopy(runs, errors):
    print("### TCP zero-copy, one-way, same CPU, 4 MiB buffers; GB/s / "
          "syscalls per message / notifications per message / % the kernel "
          "copied anyway\n")
    rows = []
    for size in (65536, 1048576):
        r = [f"tcp4 {size >> 10} KiB"]
        base = (f"BM_Throughput/tcp4/same-cpu/buf:4MiB/bytes:{size}"
                "/manual_time")
        for _, seg in ZC:
            n = (f"BM_Throughput/tcp4/same-cpu/buf:4MiB/{seg}bytes:{size}"
                 "/manual_time")
            c = cell(runs, errors, n, "bytes_per_second", 1e-9, 2)
            b = runs.get(n)
            if b:
                c += " / " + fmt(b.get("syscalls_per_msg"), 2)
                if "zc_notifs_per_msg" in b:
                    c += " / " + fmt(b["zc_notifs_per_msg"], 2)
                    c += " / " + (fmt(b["zc_copied_pct"], 0) + " %"
                                  if "zc_copied_pct" in b else "?")
                if seg:
                    c += f" (×{ratio(runs, n, base, 'bytes_per_second')})"
            r.append(c)
        rows.append(r)
    table(["size"] + [p for p, _ in ZC], rows)


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    doc, runs, errors = load(argv[0])
    ctx = doc.get("context", {})
    print(f"## sockpair-bench: I/O paths ({ctx.get('date', '?')}, "
          f"{ctx.get('num_cpus', '?')} CPUs, medians; ×: against io:syscall "
          "in this run)\n")
    latency(runs, errors)
    throughput(runs, errors)
    zerocopy(runs, errors)
    skips = sorted({m for n, m in errors.items() if "/io:" in n
                    and m.startswith("skip: io")})
    for m in skips:
        print(f"io skip: {m}")
    failed = sorted(n for n, m in errors.items() if not m.startswith("skip:"))
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
