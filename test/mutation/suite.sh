#!/usr/bin/env bash
# The suite a mutant runs against (test/mutation/run.sh), from the root of
# a copy of the tree; exits non-zero at the first failure, naming it.
# MUTATION_SUITE=core (the default): the build with -Werror, the rank
# determinism check (recorded outputs), the checks of the cores against
# known values (test/scripts/core_checks.sh), the released-scripts check,
# then, in a throwaway cluster, every pg_regress test and every pgTAP file
# of the C core (those not named warehouse_*).  The mutants change the
# core; the warehouse tests reach it only through the same functions, at
# several times the cost (make test takes about 4.5 minutes, this subset
# about 1).  MUTATION_SUITE=full: the whole make test.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "${MUTATION_SUITE:-core}" = full ]; then
	test/run.sh >test/mutation.log 2>&1 || { echo "make test: $(tail -1 test/mutation.log)"; exit 1; }
	exit 0
fi

. test/cluster.sh
make -s all >test/mutation.log 2>&1 && install_build >>test/mutation.log 2>&1 || { echo "build"; exit 1; }
bash test/scripts/rank_determinism.sh >>test/mutation.log 2>&1 || { echo "rank_determinism.sh"; exit 1; }
bash test/scripts/core_checks.sh >>test/mutation.log 2>&1 || { echo "core_checks.sh: $(grep -m1 FAILED test/mutation.log)"; exit 1; }
bash test/scripts/released_scripts.sh >>test/mutation.log 2>&1 || { echo "released_scripts.sh"; exit 1; }
cluster_start >>test/mutation.log 2>&1 || { echo "cluster did not start"; exit 1; }
trap cluster_stop EXIT
regress=$(ls test/sql/*.sql | sed 's|test/sql/||; s|\.sql$||' | grep -v '^warehouse_' | tr '\n' ' ')
make -s installcheck REGRESS="$regress" >>test/mutation.log 2>&1 || { echo "pg_regress: $(grep -E 'FAILED|failed' test/mutation.log | head -3 | tr -s ' ' | tr '\n' ';')"; exit 1; }
createdb dti_tap && psql -X -q -d dti_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION dti;' >/dev/null
for f in $(ls test/pgtap/*.sql | grep -v '/warehouse_'); do
	pg_prove -d dti_tap "$f" >>test/mutation.log 2>&1 || { echo "pgtap $f"; exit 1; }
done
exit 0
