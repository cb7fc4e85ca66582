#!/usr/bin/env bash
# The bad-input check of test/reliability/bad_input.sh at 10,000 rows (1%
# malformed, two 10 MB values); the full run, 1,000,000 rows, is
# test/reliability/run.sh.
set -euo pipefail
exec "$(dirname "$0")/../reliability/bad_input.sh" 10000
