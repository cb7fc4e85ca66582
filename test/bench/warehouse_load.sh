#!/usr/bin/env bash
# Load benchmark of dti_warehouse: stage ROWS submissions (default 1,000,000)
# with COPY, validate and move them with dti.load_staging(), and print rows
# per second for both steps, the peak memory of the server process, and the
# machine.  About 1% of the rows are bad on purpose (unknown unit, unknown
# indicator, unparseable value, out of range) so that every path is exercised.
# Installs the checkout and runs in a throwaway cluster, holding the shared
# install lock throughout (other checkouts install the same extensions).
#   usage: test/bench/warehouse_load.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
. test/cluster.sh

make -s all >/dev/null && install_build >/dev/null


cluster_start "work_mem = '64MB'
maintenance_work_mem = '256MB'
shared_buffers = '256MB'"
trap cluster_stop EXIT
createdb dti_bench
work=$(mktemp -d)
trap 'rm -rf "$work"; cluster_stop' EXIT

# 63 provinces x 12 months of 2024 x N indicators (every 10th a grade rule).
nind=$(( (rows + 63 * 12 - 1) / (63 * 12) ))
psql -X -q -v ON_ERROR_STOP=1 -d dti_bench <<SQL
CREATE EXTENSION dti_warehouse CASCADE;
BEGIN;
SELECT dti.create_framework('bench-province', 'province', ARRAY[2024], 'Khung đo tốc độ', max_points => $nind) > 0;
INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('L', 'Nhóm chỉ số', $nind);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max)
SELECT ('L.' || i)::indicator_code, 'Chỉ số ' || i, 1,
	   CASE WHEN i % 10 = 0 THEN 'grade(A:1, B:0.75, C:0.5, D:0.25, E:0)'::scoring_rule ELSE 'target(80)'::scoring_rule END,
	   CASE WHEN i % 10 = 0 THEN NULL ELSE 0 END, CASE WHEN i % 10 = 0 THEN NULL ELSE 100 END
FROM generate_series(1, $nind) AS i;
COMMIT;
\copy (SELECT CASE WHEN n % 997 = 0 THEN '99' ELSE g.code END, g.label, CASE WHEN n % 991 = 0 THEN 'X.' || i ELSE 'L.' || i END, CASE WHEN i % 10 = 0 THEN (ARRAY['A','B','C','D','E'])[1 + n % 5] WHEN n % 983 = 0 THEN '12,5' WHEN n % 977 = 0 THEN '120' ELSE ((n * 7919) % 10000 / 100.0)::text END, 'bench', NULL FROM (SELECT row_number() OVER () AS n, u.code, m.label, i FROM (SELECT code FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30') u, (SELECT label FROM dti.period WHERE kind = 'month' AND year = 2024) m, generate_series(1, $nind) i LIMIT $rows) g) TO '$work/load.csv' (FORMAT csv)
SQL
echo "generated $(wc -l <"$work/load.csv") rows ($(du -h "$work/load.csv" | cut -f1)) over $nind indicators"

psql -X -q -v ON_ERROR_STOP=1 -d dti_bench <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND_PID :pid
\timing on
\echo copy into staging:
\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM '$work/load.csv' (FORMAT csv)
\echo load_staging:
SELECT staged, accepted, rejected, reasons FROM dti.load_staging('bench');
\timing off
\echo peak memory of the server process:
\! grep -E 'VmHWM|VmRSS' /proc/\$BACKEND_PID/status
SELECT count(*) AS submissions, pg_size_pretty(pg_total_relation_size('dti.submission')) AS size FROM dti.submission;
SQL

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2 / 1048576}' /proc/meminfo)"
echo "server: $(postgres --version 2>/dev/null || "$(pg_config --bindir)/postgres" --version); fsync off, synchronous_commit off (throwaway cluster); work_mem 64MB, shared_buffers 256MB"
