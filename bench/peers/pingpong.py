"""PHP's manual ping-pong in Python, N round trips.

/usr/bin/python3 pingpong.py [N] [stream|seqpacket]: socket.socketpair,
os.fork, makefile + readline. The parent writes "ping\\n" and reads a line;
the child reads a line and writes "pong\\n". Exit 0 when every line was the
one sent.
"""
import os
import socket
import sys


def side(sock, say, hear, n, first):
    r, w = sock.makefile("rb"), sock.makefile("wb")
    for _ in range(n):
        if first:
            w.write(say)
            w.flush()
        if r.readline() != hear:
            return 65
        if not first:
            w.write(say)
            w.flush()
    return 0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    kind = socket.SOCK_SEQPACKET if sys.argv[2:3] == ["seqpacket"] \
        else socket.SOCK_STREAM
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    pid = os.fork()
    if pid == 0:
        a.close()
        os._exit(side(b, b"pong\n", b"ping\n", n, False))
    b.close()
    rc = side(a, b"ping\n", b"pong\n", n, True)
    a.close()
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if rc:
        print("pingpong.py: unexpected reply", file=sys.stderr)
    return rc or (status if status >= 0 else 71)


if __name__ == "__main__":
    sys.exit(main())
