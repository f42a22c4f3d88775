#!/bin/bash -eu
# The project's own build script does the work (the one build of the fuzz
# targets, for OSS-Fuzz, ClusterFuzzLite and scripts/fuzz alike).
"$SRC/sockpair/fuzz/build.sh"
