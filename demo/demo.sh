#!/usr/bin/env bash
# make demo: install what is missing, build and install dti, start a
# throwaway cluster, create the extensions and run the worked examples:
# demo/demo.sql (the C core), demo/warehouse.sql (the warehouse on seeded
# SYNTHETIC data: load, verify, refresh, rankings, rank intervals, the 2025
# merger, maps, published vs computed) and demo/report.sql, which writes
# demo/report.html.  The CSV files the demo loads stay in demo/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s.%N)
. test/cluster.sh

# Does a process above us hold the install lock already (e.g. a caller that
# ran "flock /tmp/dti-install.lock make demo")?  Then taking it again would
# wait for ever.
lock_held_above() {
	local lock=$1 inode pid=$$ holders
	[ -e "$lock" ] || return 1
	inode=$(stat -c %i "$lock")
	holders=$(awk -v i=":$inode" '$2 == "FLOCK" && substr($6, length($6) - length(i) + 1) == i { print $5 }' /proc/locks)
	[ -n "$holders" ] || return 1
	while [ "$pid" -gt 1 ]; do
		pid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null) || return 1
		case " $(echo $holders) " in *" $pid "*) return 0 ;; esac
	done
	return 1
}

test/deps.sh
lock=${TMPDIR:-/tmp}/dti-install.lock
waiting=$(date +%s.%N)
if ! lock_held_above "$lock"; then
	exec 9>"$lock"
	flock 9
fi
locked=$(date +%s.%N)
make -s all >/dev/null
make -s install >/dev/null

cluster_start
trap cluster_stop EXIT
createdb dti_demo
psql -X -q -v ON_ERROR_STOP=1 -d dti_demo -f demo/demo.sql
mkdir -p demo/out
rm -f demo/report.html
(cd demo/out && psql -X -q -v ON_ERROR_STOP=1 -d dti_demo -f "$root/demo/warehouse.sql" -f "$root/demo/report.sql")
mv demo/out/report.html demo/report.html
end=$(date +%s.%N)
echo
echo "Synthetic CSV files: $root/demo/out/ (framework_synthetic.csv, submissions_synthetic.csv)"
echo "Report: $root/demo/report.html (open it in a browser; no network needed)"
awk -v a="$start" -v w="$waiting" -v l="$locked" -v b="$end" 'BEGIN {
	if (l - w >= 1) printf "(waited %.1f s for the install lock, held by other builds)\n", l - w
	printf "make demo finished in %.1f s\n", (b - a) - (l - w) }'
