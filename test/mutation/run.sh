#!/usr/bin/env bash
# make mutation: apply each mutant of test/mutation/mutants (one small
# semantic change to the core) to a copy of the tree, build it and run the
# suite (test/mutation/suite.sh; MUTATION_SUITE=full for the whole make
# test) with a private copy of the server installation per run
# (DTI_PG_TREE), and count the mutants the suite kills.  The unchanged tree
# must pass the suite first.  Prints one line per mutant, the survivors,
# and the score; exits non-zero when a mutant survives.  On demand only
# (not in .ci/run): each mutant costs a full build and suite run.
#   usage: test/mutation/run.sh [REGEX]   (run only the mutants whose label matches)
set -uo pipefail
cd "$(dirname "$0")/../.."
only=${1:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/dti-mutation.XXXXXX")
chmod 755 "$work"	# the server (another user when run as root) runs from here
trap 'rm -rf "$work"' EXIT

# the tree as committed plus local changes: the tracked files, and the
# untracked ones that are not ignored
base=$work/base
mkdir -p "$base"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents -p {} "$base/" 2>/dev/null ||
	{ echo "mutation: could not copy the tree"; exit 1; }

run_suite() { # run_suite DIR -> prints the failing step, returns non-zero when killed
	local dir=$1
	rm -rf "$dir.pgtree"
	DTI_PG_TREE=$dir.pgtree bash "$dir/test/mutation/suite.sh"
	local rc=$?
	rm -rf "$dir.pgtree"
	return $rc
}

start=$(date +%s)
echo "mutation: the unchanged tree (suite: ${MUTATION_SUITE:-core})"
if ! why=$(run_suite "$base"); then
	echo "mutation: the unchanged tree fails the suite ($why); fix that first"
	exit 1
fi
# keep the build of the unchanged tree: each mutant rebuilds what it touches
n=0 killed=0 stale=0
survivors=()
while IFS=$'\t' read -r file nth find replace what; do
	case $file in '' | '#'*) continue ;; esac
	[ -z "$only" ] || [[ $what =~ $only ]] || continue
	n=$((n + 1))
	m=$work/m$n
	rm -rf "$m"
	cp -a "$base" "$m"
	if ! FIND=$find REPLACE=$replace NTH=$nth perl -0 -i -pe '
		BEGIN { $k = 0; $done = 0 }
		s/\Q$ENV{FIND}\E/++$k == $ENV{NTH} ? do { $done = 1; $ENV{REPLACE} } : $&/ge;
		END { exit($done ? 0 : 3) }' "$m/$file"; then
		echo "mutant $n: STALE ($file: text not found: $find)"
		stale=$((stale + 1))
		rm -rf "$m"
		continue
	fi
	touch "$m/$file"
	# PGXS does not track headers: rebuild everything for a header mutant
	case $file in *.h) rm -f "$m"/extension/*.o "$m"/*.so ;; esac
	t0=$(date +%s)
	if why=$(run_suite "$m"); then
		echo "mutant $n: SURVIVED ($what; $file)"
		survivors+=("$n: $what ($file: $find -> $replace)")
	else
		echo "mutant $n: killed by $why ($what; $(($(date +%s) - t0))s)"
		killed=$((killed + 1))
	fi
	rm -rf "$m"
done <"$base/test/mutation/mutants"	# the copy: the list may be edited meanwhile

echo "mutation: $((n - stale)) mutants run, $killed killed, ${#survivors[@]} survived, $stale stale; $(($(date +%s) - start))s (suite: ${MUTATION_SUITE:-core})"
for s in "${survivors[@]}"; do echo "survivor $s"; done
run=$((n - stale))
echo "mutation score: $killed/$run"
[ ${#survivors[@]} -eq 0 ] && [ $stale -eq 0 ]
