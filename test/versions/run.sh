#!/usr/bin/env bash
# make test-versions: the core suite (test/core.list) on every supported
# major other than 15, whose full suite is make test.  For each major in
# DTI_PG_VERSIONS (default "17 18"): PostgreSQL and pgTAP from Debian's
# source packages, built once into the cache (test/versions/build.sh); dti
# built against that server's PG_CONFIG in a copy of the checkout (the
# checkout's own 15 build is left alone), installed into a private copy of
# the server, and tested on a throwaway cluster of that version by
# test/run.sh with DTI_SUITE=core.  The majors in DTI_PG_WAREHOUSE (default
# "17 18") get PostGIS as well and run the warehouse suite too: every test
# but those that need pg_cron, which is not built (DTI_SUITE=nocron).  One line
# "PostgreSQL N: N passed, N failed" per major; fails if any test (or build)
# fails.
set -uo pipefail
cd "$(dirname "$0")/../.."

versions=${DTI_PG_VERSIONS:-17 18}
warehouse=${DTI_PG_WAREHOUSE-17 18}
work=$(mktemp -d "${TMPDIR:-/tmp}/dti-versions.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

status=0
summary=()
for major in $versions; do
	t0=$(date +%s)
	case " $warehouse " in
	*" $major "*) with=postgis suite=nocron exts="dti dti_warehouse" ;;
	*) with= suite=core exts=dti ;;
	esac
	if ! prefix=$(test/versions/build.sh "$major" $with); then
		summary+=("PostgreSQL $major: 0 passed, 1 failed (server build)")
		status=1
		continue
	fi
	t1=$(date +%s)

	# the checkout as it is (committed or not), without build products
	copy=$work/dti-$major
	mkdir -p "$copy"
	git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$copy"
	chmod -R a+rX "$copy"

	echo "== PostgreSQL $major ($("$prefix/bin/pg_config" --version)): suite $suite"
	(
		cd "$copy" &&
			PG_CONFIG=$prefix/bin/pg_config \
			PATH=$prefix/bin:$PATH \
			DTI_PG_TREE=$work/tree-$major \
			DTI_SUITE=$suite \
			DTI_EXTENSIONS=$exts \
			CLUSTER_PRELOAD= \
			test/run.sh
	) >"$work/run-$major.log" 2>&1
	rc=$?
	sed "s/^/[$major] /" "$work/run-$major.log" | grep -vE '^\[[0-9]+\] [0-9]+ passed, [0-9]+ failed$'
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/run-$major.log" | tail -1)
	[ -n "$line" ] || line="0 passed, 1 failed (no result)"
	[ $rc -eq 0 ] || status=1
	t2=$(date +%s)
	summary+=("PostgreSQL $major ($suite suite): $line")
	echo "== PostgreSQL $major: server, pgTAP${with:+, PostGIS} $((t1 - t0)) s (cache: $prefix), dti build and tests $((t2 - t1)) s"
done

printf '%s\n' "${summary[@]}"
exit $status
