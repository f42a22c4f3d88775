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
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summary import TRANSPORTS, cell, fmt, load_run, med, table  # noqa: E402


def ratio(smp, name, base, key):
    a, b = med(smp, name, key), med(smp, base, key)
    if not a or not b:
        return "-"
    return f"{a / b:.2f}"


def latency(smp):
    print("### Latency by I/O path, ping-pong, 64 B, process mode; p50 µs, "
          "syscalls per round trip (both sides)\n")
    rows = []
    for t in TRANSPORTS[:-1]:
        r = [t]
        for pin in ("same-cpu", "diff-cpu"):
            base = f"BM_Latency/{t}/process/{pin}/bytes:64/manual_time"
            ur = f"BM_Latency/{t}/process/{pin}/io:uring/bytes:64/manual_time"
            r += [cell(smp, base, "p50_us"),
                  cell(smp, ur, "p50_us"),
                  ratio(smp, ur, base, "p50_us"),
                  cell(smp, base, "syscalls_per_msg", digits=2),
                  cell(smp, ur, "syscalls_per_msg", digits=2)]
        rows.append(r)
    table(["transport", "same syscall", "same uring", "uring/syscall",
           "sys/RT syscall", "sys/RT uring", "diff syscall", "diff uring",
           "uring/syscall", "sys/RT syscall", "sys/RT uring"], rows)


PATHS = [("syscall", ""), ("uring b8", "io:uring/batch:8/"),
         ("uring b64", "io:uring/batch:64/"), ("mmsg b8", "io:mmsg/batch:8/"),
         ("mmsg b64", "io:mmsg/batch:64/")]


def throughput(smp):
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
                if n not in smp:
                    r.append("")
                    continue
                c = cell(smp, n, key, scale, 3)
                if med(smp, n, key) is not None:
                    c += " / " + fmt(med(smp, n, "syscalls_per_msg"), 3)
                    if seg:
                        c += f" (×{ratio(smp, n, base, key)})"
                    if t.startswith("udp"):
                        c += f" [{fmt(med(smp, n, 'loss_pct'))} %]"
                r.append(c)
            rows.append(r)
        table(["transport"] + [p for p, _ in PATHS], rows)


ZC = [("syscall", ""), ("zerocopy", "io:zerocopy/"),
      ("uring b8", "io:uring/batch:8/"), ("uring-zc b8", "io:uring-zc/batch:8/")]


def zerocopy(smp):
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
            c = cell(smp, n, "bytes_per_second", 1e-9, 2)
            if med(smp, n, "bytes_per_second") is not None:
                c += " / " + fmt(med(smp, n, "syscalls_per_msg"), 2)
                notifs = med(smp, n, "zc_notifs_per_msg")
                if notifs is not None:
                    copied = med(smp, n, "zc_copied_pct")
                    c += " / " + fmt(notifs, 2) + " / " + (
                        "?" if copied is None else fmt(copied, 0) + " %")
                if seg:
                    c += f" (×{ratio(smp, n, base, 'bytes_per_second')})"
            r.append(c)
        rows.append(r)
    table(["size"] + [p for p, _ in ZC], rows)


def main(argv):
    got = load_run(argv, __doc__, "summary_io")
    if isinstance(got, int):
        return got
    smp, ctx, _ = got
    print(f"## sockpair-bench: I/O paths ({ctx.get('date', '?')}, "
          f"{ctx.get('num_cpus', '?')} CPUs, medians; ×: against io:syscall "
          "in this run)\n")
    for part in (latency, throughput, zerocopy):
        part(smp)
    skips = sorted({s["errors"][0] for n, s in smp.items()
                    if "/io:" in n and s["errors"]
                    and s["errors"][0].startswith("skip: io")})
    for m in skips:
        print(f"io skip: {m}")
    bad = sorted(n for n, s in smp.items()
                 if s["errors"] and not s["time"]
                 and not s["errors"][0].startswith("skip:"))
    if bad:
        print("FAILED: " + ", ".join(bad))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # a reader that stopped early (| head)
        sys.stderr.close()
        sys.exit(74)
