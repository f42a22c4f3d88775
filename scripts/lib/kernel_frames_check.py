#!/usr/bin/env python3
"""The guest /init's job runner and framing, and their reading on the host,
without a VM: the init binary (not PID 1) runs a jobs file and writes its
frames to a file, scripts/lib/kernel_frames.py unpacks them.

usage: kernel_frames_check.py INIT CLI KERNEL_FRAMES_PY
"""
import json
import os
import subprocess
import sys
import tempfile
import time

INIT, CLI, FRAMES = sys.argv[1:4]


def unpack(stream, outdir):
    return subprocess.run(["/usr/bin/python3", FRAMES, stream, outdir],
                          capture_output=True, text=True, timeout=60).returncode


def status(outdir):
    with open(os.path.join(outdir, "status.json")) as f:
        return json.load(f)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def round_trip(t):
    """Every directive, every kind of outcome, through init and back."""
    tree = os.path.join(t, "tree")
    binary = bytes(range(256)) + b"\nSP1 file /fake 0 3\nabc\n"
    write(os.path.join(tree, "a"), "alpha\n")
    write(os.path.join(tree, "sub", "b"), binary, "wb")
    write(os.path.join(tree, "with space"), "skipped\n")
    os.symlink("/etc/passwd", os.path.join(tree, "link"))
    write(os.path.join(t, "knob"), "old value, longer\n")  # like a sysctl
    jobs = os.path.join(t, "jobs")
    lines = [
        "# a comment",
        "run\tmatrix\t60\t%s\tmatrix\t--json" % CLI,
        "run\tfail\t10\t/bin/sh\t-c\techo out; echo err >&2; exit 3",
        "run\tslow\t1\t/bin/sleep\t30",
        "run\tmissing\t10\t/no/such/program",
        "run\tshort\t10",
        "file\t%s" % tree,
        "file\t/no/such/file",
        "write\t%s\t4096 16384" % os.path.join(t, "knob"),
        "write\t/no/such/dir/knob\t1",
    ]
    write(jobs, "\n".join(lines) + "\n")
    stream = os.path.join(t, "stream")
    env = dict(os.environ, TMPDIR=t)
    t0 = time.monotonic()
    p = subprocess.run([INIT, jobs, stream], env=env, capture_output=True,
                       text=True, timeout=90)
    took = time.monotonic() - t0
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert took < 20, "the 1 s job bound did not hold: %.1f s" % took
    assert "err" in p.stderr  # a job's stderr goes to the console
    out = os.path.join(t, "got")
    assert unpack(stream, out) == 0
    st = status(out)
    assert st["complete"] is True, st
    assert st["jobs"] == {"matrix": 0, "fail": 3, "slow": -1, "missing": 127,
                          "short": -22}, st["jobs"]
    m = json.loads(read(os.path.join(out, "out", "matrix")))
    assert len(m["cells"]) == 75
    assert read(os.path.join(out, "out", "fail")) == "out\n"
    assert read(os.path.join(out, "out", "slow")) == ""
    root = os.path.join(out, "root")
    assert read(root + tree + "/a") == "alpha\n"
    assert read(root + tree + "/sub/b", "rb") == binary
    assert not os.path.exists(root + tree + "/with space")
    assert not os.path.exists(root + tree + "/link")  # symlinks not followed
    assert st["files"]["/no/such/file"] == -2
    assert st["writes"] == {os.path.join(t, "knob"): 0,
                            "/no/such/dir/knob": -2}, st["writes"]
    assert read(os.path.join(t, "knob")) == "4096 16384"
    assert not os.path.exists(root + "/fake")
    # No job output left in TMPDIR.
    assert not [n for n in os.listdir(t) if n.startswith("sp-")], os.listdir(t)
    os.unlink(os.path.join(t, "knob"))
    return read(stream, "rb")


def broken_streams(t, good):
    """A guest that dies half-way, garbage, a path that climbs out."""
    cases = {
        "truncated": good[: good.index(b"SP1 out fail") + 8],
        "no-done": good[: good.rfind(b"SP1 done")],
        "garbage": b"hello\n",
        "bad-numbers": b"SP1 out x zero 1\na\n",
        "climb": b"SP1 file /../../escape 0 1\nA\nSP1 done - 0 0\n",
        "kind": b"SP1 weird x 0 1\nA\nSP1 done - 0 0\n",
        "short-payload": b"SP1 out x 0 10\nabc\n",
    }
    for name, data in cases.items():
        stream = os.path.join(t, name + ".bin")
        write(stream, data, "wb")
        out = os.path.join(t, name)
        assert unpack(stream, out) == 65, name
        st = status(out)
        assert st["complete"] is False and st["error"], (name, st)
        assert not os.path.exists(os.path.join(t, "escape")), name
    # What came before the cut is kept.
    st = status(os.path.join(t, "truncated"))
    assert st["jobs"].get("matrix") == 0, st
    assert unpack(os.path.join(t, "no-such-stream"), os.path.join(t, "n")) == 66
    p = subprocess.run(["/usr/bin/python3", FRAMES], capture_output=True)
    assert p.returncode == 64
    p = subprocess.run([INIT], capture_output=True)
    assert p.returncode == 64


def main():
    with tempfile.TemporaryDirectory() as t:
        good = round_trip(t)
        broken_streams(t, good)
    print("kernel frames: all checks passed")


if __name__ == "__main__":
    main()
