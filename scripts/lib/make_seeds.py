#!/usr/bin/python3
"""Writes the seed corpora fuzz/corpus/<target>/ (committed files).

Each seed is small and says what it exercises in its name. The input
formats are described at the top of each fuzz/<target>.c. Run with
Debian's python3 (no modules beyond the standard library):

    /usr/bin/python3 scripts/lib/make_seeds.py

Existing seeds of the same name are overwritten; other files are left
alone (files added by hand or by `scripts/fuzz --merge` stay).
"""
import os
import struct
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz")


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def i32(v):
    return struct.pack("<i", v)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------- fuzz_args
# record: ctl, domain, type, protocol; ctl bits 1/2/4 make the field a full
# int32 (else domain u8, type u8 "small" encoding, protocol u16).
CTL_PROBE = 0x20
CTL_NULL = 0x40


def small_type(base, nonblock=False, cloexec=False, bad=False, high=False):
    return (base & 0xF) | (0x10 if nonblock else 0) | (0x20 if cloexec else 0) \
        | (0x40 if bad else 0) | (0x80 if high else 0)


def cell(domain, stype, proto, ctl=0):
    return bytes([ctl, domain & 0xFF, stype]) + u16(proto)


def full(domain, typ, proto, ctl=0):
    return bytes([ctl | 7]) + i32(domain) + i32(typ) + i32(proto)


TYPES = [1, 2, 3, 4, 5]
PROTOS = [0, 1, 6, 17, 255]


def args_seeds():
    t = "fuzz_args"
    for dom, name in [(1, "unix"), (2, "inet"), (10, "inet6")]:
        ctl = CTL_PROBE if dom != 1 else 0
        data = b"".join(cell(dom, small_type(ty), p, ctl)
                        for ty in TYPES for p in PROTOS)
        write(t, "cells_%s_all25" % name, data)
    write(t, "unix_flags", b"".join(
        cell(1, small_type(ty, nb, ce), p)
        for ty in (1, 2, 5) for p in (0, 1)
        for nb, ce in ((True, False), (False, True), (True, True))))
    write(t, "unix_type_out_of_range", b"".join(
        cell(1, small_type(ty), 0) for ty in (0, 6, 7, 9, 10, 11, 15)))
    write(t, "unix_protocol_range", b"".join(
        cell(1, small_type(1), p) for p in (2, 255, 256, 65535)))
    write(t, "bad_flag_bits", b"".join(
        cell(d, small_type(1, bad=True), 0) + cell(d, small_type(2, high=True), 0)
        for d in (1, 2, 10, 3)))
    write(t, "other_domains", b"".join(
        cell(d, small_type(1), 0) for d in (0, 3, 4, 16, 17, 44, 45, 46, 255)))
    write(t, "extremes", b"".join([
        full(-2**31, 1, 0), full(2**31 - 1, 1, 0), full(-1, -1, -1),
        full(1, -2**31, 0), full(1, 2**31 - 1, 0), full(1, 1, -2**31),
        full(2, 1, 2**31 - 1, CTL_PROBE), full(10, 2, -1, CTL_PROBE),
        full(1, 0x80801, 0), full(2, 0x80002, 17, CTL_NULL),
        full(1, 0x7FFFFFF0 | 1, 0)]))
    write(t, "null_fds", b"".join(
        cell(d, small_type(ty), p, CTL_NULL)
        for d in (1, 2, 10) for ty, p in ((1, 0), (1, 6), (2, 17), (5, 0))))
    write(t, "inet_protocol_edges", b"".join(
        cell(d, small_type(ty), p, CTL_PROBE)
        for d in (2, 10) for ty in (1, 2, 3)
        for p in (58, 132, 136, 262, 263, 1000)))
    write(t, "inet_sock_packet", b"".join(
        cell(d, small_type(10), p, CTL_PROBE)
        for d in (2, 10) for p in (0, 3, 255, 262)))
    # unprivileged, the kernel says EPERM (SOCK_PACKET is PF_PACKET's, which
    # checks CAP_NET_RAW first); the plan says EINVAL (protocol range)
    write(t, "plan_sock_packet_protocol_out_of_range_unprivileged",
          cell(2, small_type(10), 263, CTL_PROBE)
          + cell(2, small_type(10), 65535, CTL_PROBE))


# --------------------------------------------------------------- fuzz_lines
def lines(events, ops, dgram=False, no_at_eof=False, eagain=False, chunk=0,
          line_max=0, over=0):
    cfg = (1 if dgram else 0) | (2 if no_at_eof else 0) | (4 if eagain else 0)
    out = bytearray([cfg]) + u16(chunk) + u16(line_max) + bytes([over])
    for e in events:
        if isinstance(e, bytes):
            if dgram:
                assert len(e) < 256
                out += b"D" + bytes([len(e)]) + e
            else:
                for i in range(0, len(e), 255):
                    part = e[i:i + 255]
                    out += b"D" + bytes([len(part)]) + part
        elif e[0] == "R":
            out += b"R" + u16(e[1]) + e[2]
        else:
            out += e.encode()
    out += b"|"
    for o in ops:
        if isinstance(o, str):
            out += o.encode()
        elif o[0] in ("g", "r", "c", "m"):
            out += o[0].encode() + u16(o[1])
        elif o[0] == "f":
            out += b"f" + bytes([o[1]])
    return bytes(out)


def lines_seeds():
    t = "fuzz_lines"
    g = lambda n: ("g", n)
    r = lambda n: ("r", n)
    write(t, "stream_lines", lines([b"hello\nworld\n"], [g(100)] * 3 + ["e"]))
    write(t, "crlf_cr_untouched", lines([b"a\r\nb\rc\n\r\n"], [g(100), "l", "l"]))
    write(t, "nul_is_data", lines([b"a\0b\n\0\n\0"], ["l", g(10), "l", "e"]))
    write(t, "chunk_boundary_inside_line", lines(
        [b"abcdefgh\nij\nklm"], [g(100), "l", "l", "e"], chunk=3))
    write(t, "chunk_1", lines([b"ab\ncd\n"], [g(100), "l", r(10)], chunk=1))
    write(t, "partial_line_at_eof", lines([b"abc", "E"], [g(100), g(100), "e"]))
    write(t, "partial_line_eof_as_zero", lines([b"abc", "Z"], ["l", "l", "e"]))
    write(t, "partial_line_would_block", lines(
        [b"ab", "A", b"cd\n"], [g(100), g(100), g(100)], eagain=True))
    write(t, "partial_line_timeout", lines(
        [b"ab", "T", "T", b"c\n"], [g(100), g(100), "l"]))
    write(t, "gets_sizes", lines(
        [b"abcdef\n"], [g(1), g(0), g(-1), g(-32768), g(2), g(3), g(4)]))
    write(t, "gets_limit_exact_line", lines([b"abc\ndef\n"], [g(4), g(5), g(4)]))
    write(t, "long_line", lines([("R", 70000, b"x"), b"\n", b"tail\n"],
                                ["l", "l"]))
    write(t, "long_line_gets", lines([("R", 20000, b"y"), b"\n"],
                                     [g(8192)] * 4))
    write(t, "line_max", lines([b"0123456789abc\nshort\n"],
                               ["l", g(20), "l", "e"], line_max=10))
    write(t, "line_max_exact", lines([b"012345678\n0123456789\n"],
                                     ["l", "l", ("m", 0), "l"], line_max=10))
    write(t, "line_max_partial", lines([b"abcde", "E"], ["l", g(10)],
                                       line_max=5))
    write(t, "read_buffered_first", lines(
        [b"hello\nworld", "A", b"!"], [g(3), r(100), r(100), r(1)], eagain=True))
    write(t, "read_zero_len", lines([b"x"], [r(0), r(1), r(1)]))
    write(t, "error_mid_line", lines([b"ab", "X", b"c\n"],
                                     [g(100), g(100), "e"]))
    write(t, "contract_breach", lines([b"ab", "B", b"c\n"], [g(100), "l", "l"]))
    write(t, "eof_checks", lines([b"a\n", "E"], ["e", g(10), "e", "l", "e"]))
    write(t, "eof_without_at_eof", lines([b"a\n"], ["e", "l", "e", "l"],
                                         no_at_eof=True, eagain=True))
    write(t, "chunk_changes", lines([b"0123456789\n" * 4],
                                    [("c", 1), g(5), ("c", 0), ("c", 7), "l",
                                     ("c", 65535), r(3), "l"]))
    write(t, "many_small_lines", lines([b"\n" * 40 + b"x\n" * 20],
                                       [g(2)] * 30 + ["l"] * 30, chunk=16))
    # datagram mode
    write(t, "dgram_empty_between", lines(
        [b"abc", b"", b"def\n"], [g(100), g(100), g(100)], dgram=True))
    write(t, "dgram_empty_read", lines(
        [b"abc", b"", b"def\n"], [r(100), r(100), r(100), "e"], dgram=True))
    write(t, "dgram_only_empties", lines(
        [b"", b"", b"x\n", b""], [r(10), "l", g(10), "e", r(10), "e"],
        dgram=True, eagain=True))
    write(t, "dgram_never_truncated", lines(
        [("R", 20001, b"z"), b"next\n"], [r(8192)] * 4, dgram=True))
    write(t, "dgram_line_spans_messages", lines(
        [b"ab", b"cd", b"e\nf", b"g\n"], ["l", "l", "e"], dgram=True))
    write(t, "dgram_overestimate", lines(
        [b"a\n", b"bb\n", b""], [r(1), r(10), "l", "l"], dgram=True, over=50))
    write(t, "dgram_eof_told_as_zero", lines(
        [b"a\nb", "Z"], [g(10), g(10), g(10), "e"], dgram=True))
    write(t, "dgram_timeout_and_block", lines(
        [b"a", "T", b"b\n", "A", b"c"], [g(10), g(10), g(10), g(10), "e"],
        dgram=True))
    write(t, "dgram_line_max", lines(
        [b"0123456789", b"", b"0123\n"], ["l", g(20), "l", "l"], dgram=True,
        line_max=8))
    write(t, "dgram_breach", lines([b"a", "B", b"b\n"], [r(5), r(5), "l"],
                                   dgram=True))
    write(t, "dgram_many_messages_per_line", lines(
        [b"ab"] * 10 + [b"\n"] + [b"cd"] * 40 + [b"\n"] + [b"ef"] * 70
        + [b"\n"], [g(8), "l", r(1), "l", g(30), "l", "l"], dgram=True))
    write(t, "misuse", lines([b"a\n", "A"], ["u", g(10), "u", "e", "u"],
                             eagain=True))
    write(t, "dgram_misuse", lines([b"a\n", b""], ["u", r(10), "u", r(1),
                                                    "u", "e"], dgram=True))
    # allocation failures chosen by the input ('f': the k-th allocation
    # from now fails; bit 3: and every later one)
    f = lambda n: ("f", n)
    write(t, "alloc_fails_growing_line", lines(
        [("R", 3000, b"a"), b"\nb\n"], [f(0), "l", "l", f(1), "l", "l"],
        chunk=64))
    write(t, "alloc_fails_getline_buffer", lines(
        [b"abc", "A", b"def\n"], [f(1), "l", "l", "l"], eagain=True))
    write(t, "alloc_fails_sticky", lines(
        [b"0123456789" * 20 + b"\n"], [f(8), g(300), r(5), "l", f(0), "l"],
        chunk=16))
    write(t, "alloc_fails_dgram", lines(
        [b"ab", b"", b"cd\n"] * 12, [f(0), r(10), f(2), "l", "l", g(10)],
        dgram=True))


def main():
    args_seeds()
    lines_seeds()
    ops_seeds()
    inet_seeds()
    return 0


# ---------------------------------------------------------- fuzz_stream_ops
STREAM, DGRAM, SEQPACKET = 0, 1, 2
W, RD, GETS, GETLINE, EOF, SHUT, BLOCK, LMAX, CHUNK, CLOSE, TIMED, TMO = \
    range(12)


class Ops:
    def __init__(self, typ, timeout=0, fault=0):
        self.b = bytearray([typ, timeout, fault])

    def fault(self, call, err=0, when=0, sticky=False):
        """call: index into recv send read write poll ioctl shutdown close
        fcntl realloc; the when-th next such call fails."""
        self.b += bytes([120, call, err, when | (0x10 if sticky else 0)])
        return self

    def op(self, code, end, arg=b""):
        self.b += bytes([(end << 7) | code]) + arg
        return self

    def write(self, end, data=b"", length=None, x4=False):
        assert len(data) < 128
        k = len(data) | (0x80 if x4 else 0)
        n = len(data) if length is None else length
        return self.op(W, end, bytes([k]) + data + u16(n))

    def read(self, end, n):
        return self.op(RD, end, u16(n))

    def gets(self, end, n):
        return self.op(GETS, end, u16(n))

    def getline(self, end):
        return self.op(GETLINE, end)

    def eof(self, end):
        return self.op(EOF, end)

    def shut(self, end, how):
        return self.op(SHUT, end, bytes([how]))

    def block(self, end, on):
        return self.op(BLOCK, end, bytes([on]))

    def lmax(self, end, n):
        return self.op(LMAX, end, u16(n))

    def chunk(self, end, n):
        return self.op(CHUNK, end, u16(n))

    def close(self, end):
        return self.op(CLOSE, end)

    def timed(self, end):
        return self.op(TIMED, end)

    def tmo(self, end, t):
        return self.op(TMO, end, bytes([t]))


def ops_seeds():
    t = "fuzz_stream_ops"
    w = lambda name, o: write(t, name, bytes(o.b))
    w("stream_lines", Ops(STREAM).write(0, b"hello\nworld\n")
      .gets(1, 100).gets(1, 100).eof(1).gets(1, 100))
    w("stream_partial_line_nonblocking", Ops(STREAM).write(0, b"abc")
      .gets(1, 100).write(0, b"def\n").gets(1, 100))
    w("stream_crlf_nul", Ops(STREAM).write(0, b"a\r\n\0b\r\n")
      .getline(1).getline(1).getline(1))
    w("stream_peer_close", Ops(STREAM).write(0, b"last") .close(0).eof(1)
      .read(1, 2).read(1, 10).read(1, 10).write(1, b"x").eof(1))
    w("stream_shut_wr", Ops(STREAM).write(1, b"xy\nz").shut(1, 1)
      .gets(0, 10).gets(0, 10).gets(0, 10).eof(0).write(1, b"no"))
    w("stream_shut_rd", Ops(STREAM).write(0, b"q\n").shut(1, 0)
      .write(0, b"r").getline(1).getline(1).eof(1))
    w("stream_shut_invalid", Ops(STREAM).shut(0, 3).shut(0, 2).shut(0, 2))
    w("stream_big_nonblocking_write", Ops(STREAM).write(0, b"", 65535, True)
      .write(0, b"", 65535, True).read(1, 65535).getline(1).read(1, 1))
    w("stream_line_max", Ops(STREAM).lmax(1, 10)
      .write(0, b"0123456789abcdef\nok\n").getline(1).gets(1, 100)
      .getline(1).lmax(1, 0))
    w("stream_small_chunk", Ops(STREAM).chunk(1, 16).chunk(1, 0)
      .write(0, b"", 500).getline(1).read(1, 7).gets(1, 3))
    w("stream_blocking_timeout", Ops(STREAM, timeout=100).block(1, 1)
      .read(1, 10).timed(1).write(0, b"z\n").read(1, 10).timed(1)
      .gets(1, 10).tmo(1, 0).gets(1, 10))
    w("stream_blocking_write_full", Ops(STREAM, timeout=50).block(0, 1)
      .write(0, b"", 65535, True).write(0, b"", 65535, True)
      .read(1, 65535).read(1, 65535))
    w("stream_read_zero", Ops(STREAM).write(0, b"a").read(1, 0).gets(1, 0)
      .gets(1, 1).gets(1, 65535).read(1, 1))
    w("dgram_empty_message", Ops(DGRAM).write(0, b"abc").write(0, b"")
      .write(0, b"def\n").gets(1, 100).gets(1, 100).gets(1, 100)
      .write(0, b"").read(1, 10).read(1, 10))
    w("dgram_big_never_truncated", Ops(DGRAM).write(0, b"x", 20001)
      .write(0, b"tail\n").read(1, 8192).read(1, 8192).read(1, 8192)
      .read(1, 8192).getline(1))
    w("dgram_too_big", Ops(DGRAM).write(0, b"y", 65535, True).read(1, 10))
    w("dgram_queue_full", Ops(DGRAM).write(0, b"m\n", 2)
      .write(0, b"m\n", 2).write(0, b"m\n", 2).write(0, b"m\n", 2)
      .write(0, b"m\n", 2).write(0, b"m\n", 2).write(0, b"m\n", 2)
      .write(0, b"m\n", 2).write(0, b"m\n", 2).write(0, b"m\n", 2)
      .write(0, b"m\n", 2).write(0, b"m\n", 2).read(1, 1).getline(1))
    w("dgram_peer_close", Ops(DGRAM).write(0, b"a").close(0).read(1, 5)
      .read(1, 5).eof(1).write(1, b"b"))
    w("dgram_shut_rd_blocking", Ops(DGRAM, timeout=20).shut(1, 0)
      .block(1, 1).read(1, 10).gets(1, 10).eof(1))
    w("seqpacket_messages", Ops(SEQPACKET).write(0, b"one\ntwo")
      .write(0, b"").write(0, b"three\n").read(1, 2).gets(1, 100)
      .read(1, 100).getline(1).eof(1))
    w("seqpacket_close_after_empty", Ops(SEQPACKET).write(0, b"a")
      .write(0, b"").close(0).read(1, 5).read(1, 5).read(1, 5).eof(1))
    w("seqpacket_blocking_eof", Ops(SEQPACKET, timeout=30).block(1, 1)
      .shut(0, 1).gets(1, 10).eof(1).write(1, b"back").read(0, 10))
    w("faults_eintr_short_stream", Ops(STREAM, fault=0x80).write(0, b"",
      3000).getline(1).read(1, 4000).write(1, b"ping\n").gets(0, 10))
    P = ord("P")
    w("pipe_lines", Ops(P).write(0, b"a\nb\r\n").gets(1, 10).gets(1, 10)
      .eof(1).gets(1, 10))
    w("pipe_reader_closed_no_sigpipe", Ops(P).close(1).write(0, b"x")
      .write(0, b"", 70000 // 4, True).eof(0))
    w("pipe_writer_closed_eof", Ops(P).write(0, b"tail").close(0)
      .read(1, 2).read(1, 10).read(1, 10).eof(1).getline(1))
    w("pipe_wrong_ends", Ops(P).read(0, 5).write(1, b"x").shut(0, 1)
      .shut(1, 3).eof(0).gets(0, 4).getline(0))
    w("pipe_full_then_blocking", Ops(P, timeout=50)
      .write(0, b"", 65535, True).block(0, 1).write(0, b"z", 5000)
      .read(1, 65535).getline(1))
    w("pipe_faults", Ops(P, timeout=20, fault=0x85).block(1, 1)
      .write(0, b"", 3000).getline(1).read(1, 9000).read(1, 10))
    w("faults_eintr_dgram", Ops(DGRAM, timeout=10, fault=3).block(1, 1)
      .write(0, b"a\n").read(1, 10).read(1, 10).write(0, b"").read(1, 10))
    RECV, SEND, READ, WRITE, POLL, IOCTL, SHUTDOWN, CLOSE, FCNTL, REALLOC = \
        range(10)
    w("fault_recv_reset_then_data", Ops(STREAM).write(0, b"a\nb\n")
      .fault(RECV).getline(1).getline(1).getline(1).eof(1))
    w("fault_eof_hard_error", Ops(STREAM).fault(RECV).eof(1).write(0, b"x")
      .read(1, 5).eof(1))
    w("fault_send_sticky", Ops(SEQPACKET).fault(SEND, sticky=True)
      .write(0, b"m1").write(0, b"m2").fault(SEND, 1, 5).write(0, b"m3")
      .read(1, 10).read(1, 10))
    w("fault_close_eio", Ops(DGRAM).fault(CLOSE).close(0).read(1, 5)
      .fault(CLOSE, 1).close(1))
    w("fault_realloc_lines", Ops(STREAM).write(0, b"", 3000)
      .fault(REALLOC).getline(1).fault(REALLOC, 0, 1).gets(1, 5000)
      .getline(1))
    w("fault_poll_blocking", Ops(DGRAM, timeout=10).block(1, 1)
      .fault(POLL).read(1, 5).write(0, b"z").fault(IOCTL).read(1, 5))
    P = ord("P")
    w("fault_pipe_write_read", Ops(P).fault(WRITE).write(0, b"abc")
      .write(0, b"def").fault(READ, 3).read(1, 10).read(1, 10)
      .fault(FCNTL).block(1, 1).close(1))


# ---------------------------------------------------------------- fuzz_inet
# record: ctl (bit 0 v6, bit 1 dgram, bit 2 NONBLOCK, bit 3 CLOEXEC, bit 4
# protocol named), two intruders (bits 0-3: before the k-th syscall of the
# setup; bits 4-5: 0 connect / send, 1 and more, 2 fail that call with
# errno bits 6-7 of its row, 3 none), payload length, payload.
NO_ONE = 0x30


def inet(v6=False, dgram=False, nonblock=False, cloexec=False, proto=False,
         acts=(NO_ONE, NO_ONE), payload=b"ping"):
    ctl = (1 if v6 else 0) | (2 if dgram else 0) | (4 if nonblock else 0) \
        | (8 if cloexec else 0) | (16 if proto else 0)
    return bytes([ctl, acts[0], acts[1], len(payload)]) + payload


def inet_seeds():
    t = "fuzz_inet"
    write(t, "tcp_udp_v4_v6_flags", b"".join(
        inet(v6, dg, nb, ce, pr) for v6 in (0, 1) for dg in (0, 1)
        for nb, ce, pr in ((0, 0, 0), (1, 1, 1))))
    write(t, "tcp_stranger_connects_before_own_client", inet(acts=(0x05, NO_ONE)))
    write(t, "tcp_stranger_connects_and_sends", inet(v6=True,
                                                     acts=(0x14, 0x06)))
    write(t, "udp_strangers_send_to_both", inet(dgram=True,
                                                acts=(0x07, 0x17)))
    write(t, "udp6_stranger_before_connect", inet(v6=True, dgram=True,
                                                  acts=(0x08, NO_ONE)))
    write(t, "setup_call_fails", b"".join(
        inet(dg, dg, acts=(0x20 | k | (e << 6), NO_ONE))
        for dg in (0, 1) for k in (1, 3, 5, 7, 9) for e in (0, 1)))
    write(t, "empty_and_long_payloads", inet(payload=b"")
          + inet(dgram=True, payload=b"") + inet(payload=bytes(range(255))))


if __name__ == "__main__":
    sys.exit(main())
