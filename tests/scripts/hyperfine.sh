#!/usr/bin/env bash
# scripts/hyperfine: a tiny real run (2 runs, no warm-up, small counts)
# into a scratch results dir: JSON + markdown, the environment inside;
# usage errors; the peers (--peers), a missing interpreter skipped.
. "$(dirname "$0")/lib.sh"
cli=$3
command -v hyperfine >/dev/null || { echo "hyperfine missing: skipped"; exit 77; }
h() { "$REPO/scripts/hyperfine" --cli "$cli" --results "$SCRATCH/res" "$@"; }
expect_rc 64 h --bogus
expect_rc 64 h --transports sctp
expect_rc 64 h --runs 1
expect_rc 64 h --count x
expect_rc 64 h --pin maybe
expect_rc 69 "$REPO/scripts/hyperfine" --cli "$SCRATCH/no-such-cli" --results "$SCRATCH/res"
expect_rc 0 "$REPO/scripts/hyperfine" --help
expect_rc 0 h --count 200 --runs 2 --warmup 0 --transports pipe,udp4 \
  --stream-transports unix-dgram --stream-count 50 --kernel k
json=$(grep '\.json$' "$SCRATCH/out")
md=$(grep '\.md$' "$SCRATCH/out")
[[ $json == "$SCRATCH/res/k/hyperfine-"*.json && -s $json ]] || fail "json: $json"
[[ $md == "${json%.json}.md" && -s $md ]] || fail "md: $md"
$PY - "$json" <<'PY' || fail "json content"
import json, sys
j = json.load(open(sys.argv[1]))
names = [r["command"] for r in j["results"]]
assert names[-3:] == ["pingpong pipe", "pingpong udp4", "stream unix-dgram"], names
assert all(len(r["times"]) == 2 for r in j["results"])
assert j["sockpair_env"]["kernel"]["release"]
assert len(j["sockpair_summaries"]) == 3, j["sockpair_summaries"]
if "sockpair_perf_skipped" not in j:
    assert names[0] == "perf bench sched pipe", names
PY
grep -q '^| `pingpong pipe` |' "$md" || fail "markdown table"
# compare / plot skip hyperfine exports in a kernel directory.
expect_rc 65 "$REPO/scripts/compare" "$SCRATCH/res/k" "$SCRATCH/res/k"
expect_rc 0 h --count 100 --runs 2 --warmup 0 --transports pipe \
  --stream-transports "" --no-perf --no-record
grep -q 'pingpong pipe' "$SCRATCH/out" || fail "--no-record prints the table"
[ "$(find "$SCRATCH/res" -type f | wc -l)" -eq 2 ] || fail "--no-record wrote a file"
# --peers: sockpair-peer beside the CLI; PHP missing is a skip, not a failure.
peer=$(dirname "$cli")/sockpair-peer
[ -x "$peer" ] || fail "no sockpair-peer beside $cli"
expect_rc 69 h --peers --peer "$SCRATCH/no-such-peer"
rm -rf "$SCRATCH/res"
expect_rc 0 h --peers --count 50 --stream-count 4 --runs 2 --warmup 0 \
  --php "$SCRATCH/no-php" --kernel k
grep -q 'skipping PHP' "$SCRATCH/err" || fail "PHP skip message"
json=$(grep '\.json$' "$SCRATCH/out")
[[ $json == "$SCRATCH/res/k/hyperfine-peers-"*.json && -s $json ]] ||
  fail "peers json: $json"
[ -s "${json%.json}.md" ] || fail "peers md"
$PY - "$json" <<'PY' || fail "peers json content"
import json, sys
j = json.load(open(sys.argv[1]))
cmds = j["sockpair_commands"]
impls = {c["impl"] for c in cmds}
assert "PHP" not in impls and {"raw C", "sockpair stream"} <= impls, impls
assert {c["pinning"] for c in cmds} == {"same-cpu", "unpinned"}, cmds
assert {c["job"] for c in cmds} == {"pingpong unix-stream",
                                    "pingpong unix-seqpacket",
                                    "bulk unix-stream"}, cmds
assert all(c["argv"][:3] == ["taskset", "-c", "0"]
           for c in cmds if c["pinning"] == "same-cpu"), cmds
assert len(j["results"]) == len(cmds)
for r in j["sockpair_ratios"]:
    if r["impl"] == "raw C":
        assert r["x_raw"] == 1.0, r
    assert r["x_php"] is None, r
assert any("PHP" in w for w in j["sockpair_skipped"])
PY
grep -q '| pingpong unix-stream | same-cpu | sockpair stream |' \
  "${json%.json}.md" || fail "peers markdown table"
echo "hyperfine: all checks passed"
