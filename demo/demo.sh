#!/usr/bin/env bash
# make demo: install what is missing, build and install dti, start a
# throwaway cluster, create the extension and run the worked example in
# demo/demo.sql, then stop the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

test/deps.sh
make -s all >/dev/null
install_build >/dev/null

cluster_start
trap cluster_stop EXIT
createdb dti_demo
psql -X -q -v ON_ERROR_STOP=1 -d dti_demo -f demo/demo.sql
