"""Stores a Google Benchmark JSON run under results/<kernel>/ (see scripts/record).

The file appears complete or not at all: it is written into an anonymous
O_TMPFILE inode in the target directory, fsync'ed, then linked under its
final name (link never replaces: a name already taken gets a -2, -3, ...
suffix) and the directory is fsync'ed.  A run killed at any moment leaves
nothing behind.  Where the file system has no O_TMPFILE, a hidden
".record-<pid>.tmp" is used instead; leftovers of dead writers are removed
by the next run, and every reader ignores dot files.
"""
import datetime
import glob
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import env as envmod  # noqa: E402

EX_USAGE, EX_DATAERR, EX_CANTCREAT = 64, 65, 73


def die(code, msg):
    print("record: " + msg, file=sys.stderr)
    sys.exit(code)


def safe_name(s, what):
    """A path component: no slash, no leading dot, printable, not empty."""
    s = str(s).strip()
    s = re.sub(r"[^A-Za-z0-9._+~-]", "_", s)
    if not s or s.startswith("."):
        die(EX_USAGE, "%s '%s' cannot be a file name" % (what, s))
    return s


def stamp(env):
    """The run's start as 20261126T004232Z (from the env, else now)."""
    ts = env.get("timestamp_utc") if isinstance(env, dict) else None
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y%m%dT%H%M%SZ")


def load_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        die(EX_DATAERR, "cannot read %s %s: %s" % (what, path, e.strerror))
    except ValueError as e:
        die(EX_DATAERR, "%s %s is not JSON: %s" % (what, path, e))


def remove_stale_tmp(directory):
    for path in glob.glob(os.path.join(directory, ".record-*.tmp")):
        m = re.search(r"\.record-(\d+)\.tmp$", path)
        if not m:
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # its writer is still alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            os.unlink(path)
        except OSError:
            pass


def write_all(fd, data):
    """Writes everything.  SP_RECORD_TEST_STALL=SECONDS stalls half-way (the
    atomicity test kills the writer there)."""
    view = memoryview(data)
    stall = os.environ.get("SP_RECORD_TEST_STALL")
    half = len(view) // 2
    done = 0
    while view:
        n = os.write(fd, view[:half] if stall and done < half else view)
        view = view[n:]
        done += n
        if stall and done >= half:
            print("record: stalled at %d of %d bytes" % (done, len(data)),
                  file=sys.stderr, flush=True)
            time.sleep(float(stall))
            stall = None


def link_no_replace(src, directory, base, follow, ext):
    """Links src as base.EXT (or base-N.EXT); returns the path."""
    for n in range(1, 1000):
        name = base + (ext if n == 1 else "-%d%s" % (n, ext))
        dst = os.path.join(directory, name)
        try:
            os.link(src, dst, follow_symlinks=follow)
            return dst
        except FileExistsError:
            continue
    die(EX_CANTCREAT, "no free name for %s in %s" % (base, directory))
    return None


def store_tmpfile(directory, base, data, ext):
    """O_TMPFILE + linkat: nothing is ever visible before the link.
    Returns the path, or None where the file system cannot do it."""
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC,
                     0o644)
    except OSError:
        return None
    try:
        write_all(fd, data)
        os.fsync(fd)
        try:
            return link_no_replace("/proc/self/fd/%d" % fd, directory, base,
                                   True, ext)
        except OSError:
            return None  # e.g. EXDEV on overlayfs, no /proc
    finally:
        os.close(fd)


def store_named(directory, base, data, ext):
    """A hidden .record-<pid>.tmp, fsync'ed, linked, unlinked."""
    tmp = os.path.join(directory, ".record-%d.tmp" % os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
        return link_no_replace(tmp, directory, base, False, ext)
    finally:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass


def atomic_store(directory, base, data, ext=".json"):
    """Writes data as directory/base.EXT (or base-N.EXT if taken) without
    ever showing a partial file; returns the path."""
    os.makedirs(directory, exist_ok=True)
    remove_stale_tmp(directory)
    path = store_tmpfile(directory, base, data, ext)
    if path is None:
        path = store_named(directory, base, data, ext)
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return path


def main(argv):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    raw = None
    opts = {"--env": None, "--kernel": None, "--host": None, "--matrix": None,
            "--results": os.path.join(repo, "results")}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in opts:
            if i + 1 >= len(argv):
                die(EX_USAGE, "%s needs a value (see --help)" % a)
            opts[a] = argv[i + 1]
            i += 2
            continue
        if a.startswith("-") and a != "-":
            die(EX_USAGE, "unknown option '%s' (see --help)" % a)
        if raw is not None:
            die(EX_USAGE, "one RAW_GB_JSON only (see --help)")
        raw = a
        i += 1
    if raw is None:
        die(EX_USAGE, "RAW_GB_JSON is needed (see --help)")

    run = load_json(raw if raw != "-" else "/dev/stdin", "benchmark JSON")
    if not isinstance(run, dict) or not isinstance(run.get("benchmarks"), list):
        die(EX_DATAERR, "%s is not Google Benchmark JSON (no 'benchmarks' list)"
            % raw)
    if opts["--env"]:
        env = load_json(opts["--env"], "environment")
        if not isinstance(env, dict):
            die(EX_DATAERR, "environment %s is not a JSON object" % opts["--env"])
    else:
        env = envmod.capture(_default_env_args(repo))
    ctx = run.get("context")
    if not isinstance(ctx, dict):
        ctx = run["context"] = {}
    ctx["sockpair_env"] = env

    kernel = opts["--kernel"] or (env.get("kernel") or {}).get("release")
    if not kernel or kernel == envmod.ABSENT:
        kernel = os.uname().release
    host = opts["--host"] or env.get("host")
    if not host or host == envmod.ABSENT:
        host = os.uname().nodename
    matrix = None
    if opts["--matrix"]:
        matrix = load_json(opts["--matrix"], "matrix")
        if not isinstance(matrix, dict) or not isinstance(matrix.get("cells"),
                                                          list):
            die(EX_DATAERR, "matrix %s has no 'cells' list (sockpair matrix "
                "--json)" % opts["--matrix"])
    directory = os.path.join(opts["--results"], safe_name(kernel, "kernel"))
    base = "%s-%s" % (stamp(env), safe_name(host, "host"))
    data = (json.dumps(run, indent=2) + "\n").encode("utf-8")
    try:
        path = atomic_store(directory, base, data)
        if matrix is not None:
            mbase = os.path.splitext(os.path.basename(path))[0] + ".matrix"
            print(atomic_store(directory, mbase, (json.dumps(
                matrix, indent=2) + "\n").encode("utf-8")), file=sys.stderr)
    except OSError as e:
        die(EX_CANTCREAT, "cannot write under %s: %s" % (directory,
                                                         e.strerror or e))
    print(path)


def _default_env_args(repo):
    class A:
        root = "/"
        build = None
        compiler = None
        cflags = None
        merge = []
    a = A()
    a.repo = repo
    return a


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    main(sys.argv[1:])
