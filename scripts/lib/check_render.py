"""Renders an HTML page in headless Chromium and checks what a reader sees.

check_render.py PAGE.html SHOT.png [--size WxH] [--expect-console]

Takes a screenshot (a fresh profile directory, no network services), then:
the PNG is not blank (enough non-white pixels, some of them saturated
colour: the SVG charts and verdict colours drew), and Chromium logged no
console message (a JavaScript-free page logs none; a blocked fetch or a
Content-Security-Policy violation does).  --expect-console inverts the
last check (the test's own proof that a console message is caught).
Exit: 0 ok, 1 a check failed, 69 chromium is missing, 70 it failed to run.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
CONSOLE = re.compile(r":CONSOLE[:(]")


def chromium(page, shot, size):
    exe = shutil.which("chromium")
    if not exe:
        print("check_render: chromium is missing", file=sys.stderr)
        sys.exit(69)
    profile = tempfile.mkdtemp(prefix="sp-chromium-")
    try:
        p = subprocess.run(
            [exe] + FLAGS + ["--user-data-dir=" + profile,
                             "--window-size=" + size,
                             "--screenshot=" + os.path.abspath(shot),
                             "file://" + os.path.abspath(page)],
            capture_output=True, text=True, timeout=120, check=False,
            stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        print("check_render: chromium did not finish in 120 s",
              file=sys.stderr)
        sys.exit(70)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if p.returncode != 0 or not os.path.isfile(shot):
        print("check_render: chromium exited %d: %s" % (
            p.returncode, p.stderr.strip().splitlines()[-1:]), file=sys.stderr)
        sys.exit(70)
    return [line for line in p.stderr.splitlines() if CONSOLE.search(line)]


def _unfilter(kind, line, prev, bpp):
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + a) & 255
        elif kind == 2:
            out[i] = (out[i] + b) & 255
        elif kind == 3:
            out[i] = (out[i] + (a + b) // 2) & 255
        elif kind == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[i] = (out[i] + pred) & 255
    return out


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, colour = head[:4]
    if depth != 8 or colour not in (2, 6):
        raise ValueError("unsupported PNG (depth %d, colour type %d)"
                         % (depth, colour))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    rows, prev, stride = [], bytearray(w * bpp), w * bpp
    for y in range(h):
        start = y * (stride + 1)
        prev = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prev,
                         bpp)
        rows.append(prev)
    return w, h, bpp, rows


def ink(path):
    """(share of non-white pixels, count of saturated-colour pixels)."""
    w, h, bpp, rows = png_pixels(path)
    dark = coloured = 0
    for row in rows:
        for i in range(0, len(row), bpp):
            r, g, b = row[i], row[i + 1], row[i + 2]
            if min(r, g, b) < 235:
                dark += 1
            if max(r, g, b) - min(r, g, b) > 80:
                coloured += 1
    return dark / float(w * h), coloured


def main():
    p = argparse.ArgumentParser()
    p.add_argument("page")
    p.add_argument("shot")
    p.add_argument("--size", default="1280,2400")
    p.add_argument("--expect-console", action="store_true")
    a = p.parse_args()
    logged = chromium(a.page, a.shot, a.size.replace("x", ","))
    share, coloured = ink(a.shot)
    print("check_render: %s: %.1f %% of the pixels inked, %d in colour, "
          "%d console message(s)" % (a.shot, 100 * share, coloured,
                                     len(logged)))
    ok = True
    if a.expect_console != bool(logged):
        print("check_render: console: %s" % ("; ".join(logged) or
              "no message, one expected"), file=sys.stderr)
        ok = False
    if not a.expect_console and (share < 0.02 or coloured < 200):
        print("check_render: the page looks blank", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
