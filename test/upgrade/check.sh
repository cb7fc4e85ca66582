#!/usr/bin/env bash
# Upgrade check, for each extension of the repository (dti, dti_warehouse):
# for every released version (every version an upgrade script starts from),
# install it, run ALTER EXTENSION ... UPDATE, and compare the database's
# objects with a fresh install of the current version.  Objects are compared
# through pg_dump --binary-upgrade, which dumps each member of an extension;
# only the OID-setting lines differ between the two databases and are dropped
# (test/upgrade/lib/dump_objects.sh).  test/upgrade/data.sh does the same with
# data loaded, and checks that the data and the results survive.
#
# dti_warehouse versions (the current one included) are installed on the
# oldest dti they accept (min_dti), not the newest that CASCADE would pick,
# and updated one version at a time, dti first updated to the oldest
# version the next warehouse version accepts: a warehouse script that
# calls a function of a newer dti than it says fails here.  The current
# warehouse must refuse an older dti with a clear error.
# Runs against the cluster described by PGHOST/PGPORT/PGUSER.  DTI_EXTENSIONS
# (e.g. "dti", where the warehouse's PostGIS is not installed) limits the
# check to those extensions.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists dti_upgraded >/dev/null 2>&1; dropdb --if-exists dti_fresh >/dev/null 2>&1' EXIT
. test/upgrade/lib/dump_objects.sh

sqlq() { # sqlq DB SQL...: run each statement, stop at the first error
	local db=$1 a=()
	shift
	for s in "$@"; do a+=(-c "$s"); done
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" "${a[@]}"
}

# install_warehouse DB VERSION: postgis, the oldest dti VERSION accepts, then
# the warehouse at VERSION.
install_warehouse() {
	sqlq "$1" "CREATE EXTENSION postgis" "CREATE EXTENSION dti VERSION '$(min_dti "$2")'" \
		"CREATE EXTENSION dti_warehouse VERSION '$2'"
}

# update_warehouse DB FROM: one warehouse version at a time to the current
# one, dti raised to what each next version needs; then dti to its current.
update_warehouse() {
	local db=$1 from=$2 w have
	for w in $(versions_of dti_warehouse); do
		[ "$(version_max "$w" "$from")" = "$w" ] && [ "$w" != "$from" ] || continue
		have=$(psql -X -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'dti'")
		if [ "$(version_max "$have" "$(min_dti "$w")")" != "$have" ]; then
			sqlq "$db" "ALTER EXTENSION dti UPDATE TO '$(min_dti "$w")'"
		fi
		sqlq "$db" "ALTER EXTENSION dti_warehouse UPDATE TO '$w'"
	done
	sqlq "$db" "ALTER EXTENSION dti UPDATE"
}

checked=0
for control in *.control; do
	ext=${control%.control}
	case " ${DTI_EXTENSIONS:-$ext} " in *" $ext "*) ;; *) continue ;; esac
	current=$(current_version "$ext")
	dropdb --if-exists dti_fresh >/dev/null 2>&1
	createdb dti_fresh
	sqlq dti_fresh "CREATE EXTENSION $ext VERSION '$current' CASCADE"
	dump_objects dti_fresh "$work/fresh.sql"
	versions=$(released_versions "$ext")
	# the current warehouse too, installed on the oldest dti it accepts
	[ "$ext" = dti_warehouse ] && versions="$versions $current"
	for v in $versions; do
		dropdb --if-exists dti_upgraded >/dev/null 2>&1
		createdb dti_upgraded
		if [ "$ext" = dti_warehouse ]; then
			install_warehouse dti_upgraded "$v"
			update_warehouse dti_upgraded "$v"
			how="from $v on dti $(min_dti "$v"), both updated"
		else
			sqlq dti_upgraded "CREATE EXTENSION $ext VERSION '$v' CASCADE" "ALTER EXTENSION $ext UPDATE"
			how="from $v"
		fi
		got=$(psql -X -At -d dti_upgraded -c "SELECT extversion FROM pg_extension WHERE extname = '$ext'")
		[ "$got" = "$current" ] || { echo "$ext: upgrade from $v ended at version $got, not $current"; exit 1; }
		dump_objects dti_upgraded "$work/upgraded.sql"
		if ! diff -u "$work/fresh.sql" "$work/upgraded.sql"; then
			echo "$ext: $how to $current: objects differ from a fresh install"
			exit 1
		fi
		echo "$ext: $how to $current: same objects as a fresh install ($(grep -c . "$work/fresh.sql") dump lines)"
		checked=$((checked + 1))
	done
done

# The current warehouse refuses a dti older than it needs, saying which.
need=$(min_dti "$(current_version dti_warehouse)")
older=$(versions_of dti | awk -v n="$need" '$0 == n { exit } { v = $0 } END { print v }')
if [ -n "$older" ]; then
	dropdb --if-exists dti_upgraded >/dev/null 2>&1
	createdb dti_upgraded
	sqlq dti_upgraded "CREATE EXTENSION postgis" "CREATE EXTENSION dti VERSION '$older'"
	if out=$(sqlq dti_upgraded "CREATE EXTENSION dti_warehouse" 2>&1); then
		echo "dti_warehouse installed on dti $older, older than the $need it needs"
		exit 1
	fi
	grep -q "dti_warehouse needs dti $need or newer, but dti $older is installed" <<<"$out" ||
		{ echo "dti_warehouse on dti $older: unexpected error: $out"; exit 1; }
	echo "dti_warehouse refuses dti $older: $(grep -m1 ERROR <<<"$out")"
fi
echo "upgrade paths checked: $checked"
