#!/usr/bin/env python3
"""Reads back what the guest's /init (scripts/kernel.d/init.c) wrote on ttyS1.

Usage: kernel_frames.py STREAM DIR

The stream is a sequence of frames
    "SP1 KIND NAME STATUS LENGTH\\n" + LENGTH bytes + "\\n"
ending with "SP1 done - 0 0\\n". They are unpacked under DIR:
    DIR/out/NAME          stdout of job NAME
    DIR/root/PATH         a file the guest sent (PATH absolute in the guest)
    DIR/status.json       {"jobs": {NAME: STATUS}, "files": {PATH: STATUS},
                           "writes": {PATH: STATUS}, "complete": BOOL}
Exit status: 0 complete, 65 malformed or truncated stream (what could be read
is still unpacked: a guest that died half-way leaves its earlier results),
66 STREAM missing, 64 usage error.
"""
import json
import os
import sys


class StreamError(Exception):
    pass


def frames(data):
    """Yields (kind, name, status, payload); stops after the done frame.
    Raises StreamError on a malformed or truncated stream."""
    pos = 0
    while True:
        eol = data.find(b"\n", pos)
        if eol < 0:
            raise StreamError("truncated: no end-of-stream frame at byte %d" % pos)
        head = data[pos:eol].decode("ascii", "replace").split(" ")
        if len(head) != 5 or head[0] != "SP1":
            raise StreamError("bad frame header at byte %d: %r" % (pos, data[pos:eol][:80]))
        _, kind, name, status, length = head
        try:
            status, length = int(status), int(length)
        except ValueError:
            raise StreamError("bad frame numbers at byte %d" % pos) from None
        if kind == "done":
            return
        start, end = eol + 1, eol + 1 + length
        if end + 1 > len(data) or data[end:end + 1] != b"\n":
            raise StreamError("truncated frame %s %s at byte %d" % (kind, name, pos))
        yield kind, name, status, data[start:end]
        pos = end + 1


def safe_join(root, guest_path):
    """Maps a guest path under root, refusing anything that climbs out."""
    parts = [p for p in guest_path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise StreamError("refusing path %r" % guest_path)
    return os.path.join(root, *parts)


def write(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(payload)


def unpack(data, outdir):
    status = {"jobs": {}, "files": {}, "writes": {}}
    try:
        for kind, name, st, payload in frames(data):
            if kind == "out":
                write(safe_join(os.path.join(outdir, "out"), name), payload)
                status["jobs"][name] = st
            elif kind == "write":
                status["writes"][name] = st
            elif kind == "file":
                if st == 0:
                    write(safe_join(os.path.join(outdir, "root"), name), payload)
                status["files"][name] = st
            else:
                raise StreamError("unknown frame kind %r" % kind)
        error = None
    except StreamError as e:
        error = str(e)
    status["complete"] = error is None
    if error:
        status["error"] = error
    write(os.path.join(outdir, "status.json"),
          (json.dumps(status, indent=1, sort_keys=True) + "\n").encode())
    return error


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 0 if len(argv) == 2 and argv[1] in ("-h", "--help") else 64
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
    except OSError as e:
        sys.stderr.write("kernel_frames: %s\n" % e)
        return 66
    error = unpack(data, argv[2])
    if error:
        sys.stderr.write("kernel_frames: %s\n" % error)
        return 65
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
