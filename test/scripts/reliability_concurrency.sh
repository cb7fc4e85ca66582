#!/usr/bin/env bash
# The concurrency check of test/reliability/concurrency.sh, short: 10 s with
# 4 pgbench clients (the full run, 60 s with 8, is test/reliability/run.sh).
set -euo pipefail
exec "$(dirname "$0")/../reliability/concurrency.sh" 10 4
