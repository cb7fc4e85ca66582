#!/usr/bin/env bash
# Upgrade check, for each extension of the repository (dti, dti_warehouse):
# for every released version (every version an upgrade script starts from),
# install it, run ALTER EXTENSION ... UPDATE, and compare the database's
# objects with a fresh install of the current version.  Objects are compared
# through pg_dump --binary-upgrade, which dumps each member of an extension;
# only the OID-setting lines differ between the two databases and are dropped
# (test/upgrade/lib/dump_objects.sh).  test/upgrade/data.sh does the same with
# data loaded, and checks that the data and the results survive.
# Runs against the cluster described by PGHOST/PGPORT/PGUSER.  DTI_EXTENSIONS
# (e.g. "dti", where the warehouse's PostGIS is not installed) limits the
# check to those extensions.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists dti_upgraded >/dev/null 2>&1; dropdb --if-exists dti_fresh >/dev/null 2>&1' EXIT
. test/upgrade/lib/dump_objects.sh

checked=0
for control in *.control; do
	ext=${control%.control}
	case " ${DTI_EXTENSIONS:-$ext} " in *" $ext "*) ;; *) continue ;; esac
	current=$(current_version "$ext")
	dropdb --if-exists dti_fresh >/dev/null 2>&1
	createdb dti_fresh
	psql -X -q -v ON_ERROR_STOP=1 -d dti_fresh -c "SET client_min_messages = warning" \
		-c "CREATE EXTENSION $ext VERSION '$current' CASCADE"
	dump_objects dti_fresh "$work/fresh.sql"
	for v in $(released_versions "$ext"); do
		dropdb --if-exists dti_upgraded >/dev/null 2>&1
		createdb dti_upgraded
		psql -X -q -v ON_ERROR_STOP=1 -d dti_upgraded -c "SET client_min_messages = warning" \
			-c "CREATE EXTENSION $ext VERSION '$v' CASCADE" -c "ALTER EXTENSION $ext UPDATE"
		got=$(psql -X -At -d dti_upgraded -c "SELECT extversion FROM pg_extension WHERE extname = '$ext'")
		[ "$got" = "$current" ] || { echo "$ext: upgrade from $v ended at version $got, not $current"; exit 1; }
		dump_objects dti_upgraded "$work/upgraded.sql"
		if ! diff -u "$work/fresh.sql" "$work/upgraded.sql"; then
			echo "$ext: upgrade from $v to $current: objects differ from a fresh install"
			exit 1
		fi
		echo "$ext: upgrade from $v to $current: same objects as a fresh install ($(grep -c . "$work/fresh.sql") dump lines)"
		checked=$((checked + 1))
	done
done
echo "upgrade paths checked: $checked"
