#!/usr/bin/env bash
# Install what building and testing dti needs, with apt-get, when it is missing.
# Does nothing when everything is there; as a non-root user it says what to run.
set -euo pipefail

pkgs=(
	postgresql-15                       # server, initdb, pg_ctl, pg_regress
	postgresql-server-dev-15            # headers and PGXS
	postgresql-contrib                  # postgres_fdw (scale-out tests)
	postgresql-15-postgis-3             # boundaries and map views
	postgresql-15-pgtap                 # pgTAP
	postgresql-15-cron                  # nightly refresh
	libtap-parser-sourcehandler-pgtap-perl  # pg_prove
	python3 python3-psycopg2 python3-sqlalchemy  # the BI client test
	python3-scipy                       # the method statistics checked against SciPy, test only
	python3-psycopg                     # psycopg 3: binary cursors and parameters (binary_io)
	python3-qgis                        # the GIS client test (headless PyQGIS), test only
	chromium                            # renders the demo report in its test
	clang                               # libFuzzer harnesses
	libclang-rt-14-dev                  # sanitizer and fuzzer runtimes
	valgrind                            # make memcheck
	make gcc
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "dti: missing packages: ${missing[*]}" >&2
	echo "dti: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "dti: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
