#!/usr/bin/env bash
# scripts/compare --html: one self-contained page, rendered in headless
# Chromium (Debian's chromium): the screenshot is not blank and Chromium
# logs no console message (the page has no script; a fetch it tried would
# be a Content-Security-Policy violation, which Chromium logs).
. "$(dirname "$0")/lib.sh"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium missing (and not root to install it): skipped"; exit 77
  fi
  . "$REPO/scripts/lib/deps.sh"
  sp_install_deps chromium || fail "could not install chromium"
fi
RENDER="$PY $REPO/scripts/lib/check_render.py"

# The committed kernel comparison.
A=$REPO/results/6.1.0-56-cloud-amd64
B=$REPO/results/6.12.117+deb12-cloud-amd64
expect_rc 0 "$REPO/scripts/compare" "$A" "$B" --html "$SCRATCH/kernels.html"
page=$SCRATCH/kernels.html
for section in verdicts environment forest tables latency scaling unstable; do
  grep -q "<h2 id=$section>" "$page" || fail "no $section section"
done
grep -E -q '<(script|link|img|iframe)|src=|@import|url\(' "$page" && fail "the page loads something"
grep -q "default-src 'none'" "$page" || fail "no Content-Security-Policy"
[ "$(grep -o '<svg' "$page" | wc -l)" -ge 10 ] || fail "too few charts"
grep -q '<h3>BM_Latency — 150 benchmark(s)' "$page" || fail "no verdict table"
grep -q 'aria-label="unix-stream, 64 B"' "$page" || fail "no latency curve"
grep -q 'hold no contention families' "$page" || fail "no note for absent scaling families"
expect_rc 0 $RENDER "$page" "$SCRATCH/kernels.png"

# Synthetic runs with the contention families: scaling curves A vs B.
$GEN "$SCRATCH/sa.json" --seed 1 --scaling
$GEN "$SCRATCH/sb.json" --seed 2 --scaling --scale 1.2
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/sa.json" "$SCRATCH/sb.json" --html "$SCRATCH/scaling.html"
grep -q 'aria-label="BM_Messaging: items_per_second by groups"' "$SCRATCH/scaling.html" || fail "no messaging curve"
grep -q 'aria-label="BM_Pairs: scaling_efficiency by pairs"' "$SCRATCH/scaling.html" || fail "no pairs curve"
grep -q 'No latency percentiles' "$SCRATCH/scaling.html" || fail "no note for absent latencies"
expect_rc 0 $RENDER "$SCRATCH/scaling.html" "$SCRATCH/scaling.png" --size 1280x1400

# The checker catches a console message: a script-free page that tries to
# fetch a stylesheet against its own Content-Security-Policy.
cat >"$SCRATCH/fetches.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<link rel="stylesheet" href="https://example.invalid/x.css"></head>
<body><h1>fetches</h1></body></html>
EOF
expect_rc 1 $RENDER "$SCRATCH/fetches.html" "$SCRATCH/fetches.png" --size 800x600
grep -q 'console:' "$SCRATCH/err" || fail "the console message was not caught"
echo "compare_html: all checks passed"
