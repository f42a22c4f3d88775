#!/usr/bin/env bash
# The sockpair CLI's contract: exit codes, usage on stderr, matrix output.
set -u
cli=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # RC CMD...
  local want=$1; shift
  "$@" >/tmp/sp-cli-out.$$ 2>/tmp/sp-cli-err.$$
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want"
}
trap 'rm -f /tmp/sp-cli-out.$$ /tmp/sp-cli-err.$$' EXIT

expect_rc 0 "$cli" --help
grep -q '^usage: sockpair' /tmp/sp-cli-out.$$ || fail "--help prints no usage"
expect_rc 0 "$cli" --version
grep -Eq '^sockpair [0-9]+\.[0-9]+\.[0-9]+$' /tmp/sp-cli-out.$$ || fail "--version"
expect_rc 64 "$cli"
expect_rc 64 "$cli" no-such-command
grep -q '^usage: sockpair' /tmp/sp-cli-err.$$ || fail "usage error prints no usage on stderr"
[ -s /tmp/sp-cli-out.$$ ] && fail "usage error wrote to stdout"
expect_rc 64 "$cli" matrix --bogus
expect_rc 0 "$cli" matrix
[ "$(grep -c '^AF_' /tmp/sp-cli-out.$$)" -eq 75 ] || fail "matrix: not 75 cells"
grep -q "$(uname -r)" /tmp/sp-cli-out.$$ || fail "matrix: no kernel release"
expect_rc 0 "$cli" matrix --json
/usr/bin/python3 - /tmp/sp-cli-out.$$ <<'PY' || fail "matrix --json"
import json, sys
m = json.load(open(sys.argv[1]))
cells = m["cells"]
assert len(cells) == 75, len(cells)
ok = {(c["domain"], c["type"], c["protocol"]) for c in cells if c["ok"]}
unix_ok = {(1, t, p) for t in (1, 2, 3, 5) for p in (0, 1)}
inet_ok = {(d, 1, p) for d in (2, 10) for p in (0, 6)} | \
          {(d, 2, p) for d in (2, 10) for p in (0, 17)}
assert ok == unix_ok | inet_ok, sorted(ok ^ (unix_ok | inet_ok))
for c in cells:
    assert c["ok"] or (c["errno"] and c["message"]), c
PY
echo "cli: all checks passed"
