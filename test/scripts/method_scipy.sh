#!/usr/bin/env bash
# The method's statistics against an independent computation: Debian's
# python3-scipy on seeded data (test/scripts/method_scipy.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_method_scipy
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -c 'CREATE EXTENSION dti'
# Debian's own interpreter, which has the python3-* packages
METHOD_DATABASE=$db /usr/bin/python3 test/scripts/method_scipy.py
