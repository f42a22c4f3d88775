"""The environment a benchmark ran in, as one JSON object (see scripts/env).

Every value comes from a file under ROOT (default "/") or from a command;
whatever cannot be read is the string "absent", never an error, so the
same code runs on a live system, in a VM guest's copied tree and on a fake
tree in the tests.  Run with Debian's /usr/bin/python3 (stdlib only).
"""
import argparse
import datetime
import json
import os
import re
import signal
import subprocess
import sys

ABSENT = "absent"
SCHEMA = 1

# The sysctls that move IPC numbers (buffer sizes, queue lengths).
SYSCTLS = [
    "net.core.rmem_default",
    "net.core.rmem_max",
    "net.core.wmem_default",
    "net.core.wmem_max",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.unix.max_dgram_qlen",
    "fs.pipe-max-size",
]


def read(root, path):
    """The file's text with whitespace runs folded to one space, or ABSENT."""
    try:
        with open(os.path.join(root, path.lstrip("/")), "rb") as f:
            text = f.read(1 << 20).decode("utf-8", "replace")
    except OSError:
        return ABSENT
    return " ".join(text.split())


def run(argv, cwd=None):
    """A command's stripped stdout, or ABSENT if it fails or is missing."""
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                           timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ABSENT
    return p.stdout.strip() if p.returncode == 0 else ABSENT


def cpuinfo(root):
    """Model name, count of processors, and whether 'hypervisor' is a flag."""
    try:
        with open(os.path.join(root, "proc/cpuinfo"), encoding="utf-8",
                  errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ABSENT, ABSENT, ABSENT
    model, count, flags = ABSENT, 0, None
    for line in lines:
        key, _, val = line.partition(":")
        key = key.strip()
        if key == "processor":
            count += 1
        elif key == "model name" and model == ABSENT:
            model = val.strip()
        elif key == "flags" and flags is None:
            flags = val.split()
    hyper = ABSENT if flags is None else ("hypervisor" in flags)
    return model, (count if count else ABSENT), hyper


def vulnerabilities(root):
    d = os.path.join(root, "sys/devices/system/cpu/vulnerabilities")
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return ABSENT
    return {n: read(root, "sys/devices/system/cpu/vulnerabilities/" + n)
            for n in names}


def detect_virt(flag):
    """systemd-detect-virt's answer; it prints "none" and exits 1 when none."""
    try:
        p = subprocess.run(["systemd-detect-virt", flag], capture_output=True,
                           text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ABSENT
    return p.stdout.strip() or ABSENT


def virtualization(root, live):
    hv = read(root, "sys/hypervisor/type")
    _, _, flag = cpuinfo(root)
    vm, container = ABSENT, ABSENT
    if live:
        vm, container = detect_virt("--vm"), detect_virt("--container")
    return {"hypervisor": hv, "cpuinfo_hypervisor_flag": flag,
            "systemd_detect_virt_vm": vm,
            "systemd_detect_virt_container": container}


def cmake_cache(build_dir):
    """The compiler and flags a build directory was configured with."""
    vals = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt"),
                  encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.match(r"^([A-Za-z0-9_]+):[A-Z_]+=(.*)$", line.rstrip("\n"))
                if m:
                    vals[m.group(1)] = m.group(2)
    except OSError:
        return None
    btype = vals.get("CMAKE_BUILD_TYPE", "")
    up = btype.upper()

    def flags(lang):
        parts = [vals.get("CMAKE_%s_FLAGS" % lang, "")]
        if up:
            parts.append(vals.get("CMAKE_%s_FLAGS_%s" % (lang, up), ""))
        return " ".join(p for p in parts if p) or ""

    cc = vals.get("CMAKE_C_COMPILER", ABSENT)
    cxx = vals.get("CMAKE_CXX_COMPILER", ABSENT)
    out = {
        "source": "CMakeCache.txt",
        "build_dir": os.path.abspath(build_dir),
        "build_type": btype or ABSENT,
        "c_compiler": cc,
        "c_compiler_version": ABSENT,
        "c_flags": flags("C"),
        "cxx_compiler": cxx,
        "cxx_compiler_version": ABSENT,
        "cxx_flags": flags("CXX") if cxx != ABSENT else ABSENT,
        "sanitize": vals.get("SP_SANITIZE", ABSENT),
    }
    # The cache holds CMake's defaults (CMAKE_C_FLAGS_RELEASE=-O3), not what
    # the project sets over them (-O2): the real command lines are better.
    cmds = compile_flags(build_dir)
    if cmds:
        out["flags_source"] = "compile_commands.json"
        for key in ("c_flags", "cxx_flags"):
            if cmds.get(key):
                out[key] = cmds[key]
    else:
        out["flags_source"] = "CMakeCache.txt"
    for key, comp in (("c_compiler_version", cc),
                      ("cxx_compiler_version", cxx)):
        if comp != ABSENT:
            v = run([comp, "--version"])
            out[key] = v.splitlines()[0] if v != ABSENT else ABSENT
    return out


def strip_command(argv):
    """A compile command's flags: no compiler, file, output, includes or
    dependency-file options."""
    out, skip = [], False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c", "-MT", "-MF", "-MQ", "-I", "-isystem"):
            skip = True
            continue
        if a.startswith("-I") or a in ("-MD", "-MMD") or not a.startswith("-"):
            continue
        out.append(a)
    return " ".join(out)


def compile_flags(build_dir):
    """c_flags / cxx_flags of the library's and the bench shim's compile
    commands in compile_commands.json; {} when there is none."""
    try:
        with open(os.path.join(build_dir, "compile_commands.json"),
                  encoding="utf-8") as f:
            entries = json.load(f)
    except (OSError, ValueError):
        return {}
    out = {}
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict):
            continue
        f = str(e.get("file", ""))
        argv = e.get("arguments") or str(e.get("command", "")).split()
        if "c_flags" not in out and f.endswith("/lib/src/socketpair.c") and \
                "sockpair_static" in str(e.get("output", e.get("command", ""))):
            out["c_flags"] = strip_command(argv)
        elif "cxx_flags" not in out and f.endswith(".cc"):
            out["cxx_flags"] = strip_command(argv)
    return out


def build_info(args):
    info = None
    if args.build:
        info = cmake_cache(args.build)
    if info is None and args.build:
        info = {"source": ABSENT, "build_dir": os.path.abspath(args.build)}
    if info is None:
        info = {"source": "caller" if (args.compiler or args.cflags)
                else ABSENT}
    if args.compiler:
        info["c_compiler"] = args.compiler
        v = run([args.compiler.split()[0], "--version"])
        info["c_compiler_version"] = v.splitlines()[0] if v != ABSENT else ABSENT
    if args.cflags is not None:
        info["c_flags"] = args.cflags
    return info


def git_info(repo):
    commit = run(["git", "-C", repo, "rev-parse", "HEAD"])
    if commit == ABSENT:
        return {"commit": ABSENT, "dirty": ABSENT}
    st = run(["git", "-C", repo, "status", "--porcelain",
              "--untracked-files=no"])
    dirty = ABSENT if st == ABSENT else bool(st)
    return {"commit": commit, "dirty": dirty}


def loadavg(root):
    text = read(root, "proc/loadavg")
    if text == ABSENT:
        return ABSENT
    parts = text.split()
    try:
        return [float(x) for x in parts[:3]]
    except ValueError:
        return ABSENT


def capture(args):
    root = args.root
    live = os.path.realpath(root) == "/"
    model, vcpus, _ = cpuinfo(root)
    host = read(root, "proc/sys/kernel/hostname")
    if host == ABSENT and live:
        host = os.uname().nodename
    env = {
        "schema": SCHEMA,
        "timestamp_utc": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": host,
        "kernel": {
            "release": read(root, "proc/sys/kernel/osrelease"),
            "version": read(root, "proc/sys/kernel/version"),
            "cmdline": read(root, "proc/cmdline"),
        },
        "cpu": {
            "model": model,
            "vcpus": vcpus,
            "online": read(root, "sys/devices/system/cpu/online"),
        },
        "governor": read(root, "sys/devices/system/cpu/cpu0/cpufreq/"
                               "scaling_governor"),
        "virtualization": virtualization(root, live),
        "vulnerabilities": vulnerabilities(root),
        "sysctls": {k: read(root, "proc/sys/" + k.replace(".", "/"))
                    for k in SYSCTLS},
        "build": build_info(args),
        "sockpair": git_info(args.repo),
        "libbenchmark": run(["dpkg-query", "-W", "-f=${Version}",
                             "libbenchmark-dev"]),
        "loadavg": loadavg(root),
    }
    for path in args.merge:
        try:
            with open(path, encoding="utf-8") as f:
                extra = json.load(f)
        except (OSError, ValueError) as e:
            print("env: cannot read --merge %s: %s" % (path, e),
                  file=sys.stderr)
            sys.exit(65)
        if not isinstance(extra, dict):
            print("env: --merge %s is not a JSON object" % path,
                  file=sys.stderr)
            sys.exit(65)
        env.update(extra)
    return env


def text_lines(obj, prefix=""):
    """Flattens the object to 'a.b: value' lines for humans."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from text_lines(v, prefix + k + ".")
    else:
        yield "%s: %s" % (prefix[:-1], json.dumps(obj)
                          if not isinstance(obj, str) else obj)


class Parser(argparse.ArgumentParser):
    """argparse with the project's usage exit code (64) instead of 2."""

    def error(self, message):
        print("%s: %s (see --help)" % (self.prog, message), file=sys.stderr)
        sys.exit(64)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    p = Parser(prog="scripts/env", add_help=False)
    p.add_argument("--root", default="/")
    p.add_argument("--build")
    p.add_argument("--compiler")
    p.add_argument("--cflags")
    p.add_argument("--repo", default=repo)
    p.add_argument("--merge", action="append", default=[])
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    env = capture(args)
    if args.json:
        json.dump(env, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        for line in text_lines(env):
            print(line)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under | head
    main()
