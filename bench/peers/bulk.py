"""Bulk read over a UNIX stream pair in Python.

/usr/bin/python3 bulk.py [N] [B]: socket.socketpair, os.fork; the child
writes N blocks of B bytes (makefile + write), the parent reads them with
readinto of a B-byte buffer (makefile).
"""
import os
import socket
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 65536
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        w = b.makefile("wb")
        block = b"x" * size
        for _ in range(n):
            w.write(block)
        w.flush()
        os._exit(0)
    b.close()
    r = a.makefile("rb")
    buf = memoryview(bytearray(size))
    left = n * size
    while left > 0:
        got = r.readinto(buf[:min(size, left)])
        if not got:
            print("bulk.py: read failed with %d bytes to go" % left,
                  file=sys.stderr)
            return 71
        left -= got
    a.close()
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return status if status >= 0 else 71


if __name__ == "__main__":
    sys.exit(main())
