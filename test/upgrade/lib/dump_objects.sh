# Shared by the upgrade checks (test/upgrade/*.sh); source it.
#
# dump_objects DB FILE: the database's objects as text, comparable between
# two databases: pg_dump --schema-only --binary-upgrade (which dumps each
# member of an extension) without the OID-setting lines, then the
# extensions' configuration tables in an order that does not depend on the
# order they were registered in.
dump_objects() {
	{
		pg_dump --schema-only --binary-upgrade --no-owner -d "$1" |
			grep -vE "binary_upgrade_set_next|binary_upgrade_set_type_oids|binary_upgrade_create_empty_extension|^WHERE oid = '[0-9]+';\$|^-- |^SET |^SELECT pg_catalog.set_config|^\\\\(un)?restrict |^\$"
		psql -X -At -d "$1" -c "SELECT e.extname, c.tab::regclass, c.cond FROM pg_extension e,
			unnest(e.extconfig::regclass[], e.extcondition) AS c(tab, cond) ORDER BY e.extname, c.tab::text"
	} >"$2"
}

# released_versions EXT: every version an upgrade script of EXT starts from
# but the current one, oldest first.
released_versions() {
	local current
	current=$(current_version "$1")
	ls sql/"$1"--*--*.sql 2>/dev/null | sed -n "s/^sql\/$1--\([0-9.]*\)--.*/\1/p" | sort -uV | grep -vxF "$current" || true
}

# current_version EXT: default_version of EXT.control.
current_version() {
	sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$1.control"
}

# versions_of EXT: every version of EXT there is a script for, oldest first.
versions_of() {
	{
		ls sql/"$1"--*.sql 2>/dev/null | sed -n "s/^sql\/$1--\([0-9.]*\)\.sql$/\1/p; s/^sql\/$1--[0-9.]*--\([0-9.]*\)\.sql$/\1/p"
		current_version "$1"
	} | sort -uV
}

# version_max A B: the newer of two versions.
version_max() {
	printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1
}

# min_dti VERSION: the oldest dti that dti_warehouse VERSION works with.
# The current version says it in sql/warehouse/00_requires.sql, a later
# released one in the check at the top of its upgrade script; the versions
# released before the check existed are listed in
# test/upgrade/warehouse_min_dti (the oldest dti each installs with).
min_dti() {
	local v=$1 f need
	if [ "$v" = "$(current_version dti_warehouse)" ]; then
		f=sql/warehouse/00_requires.sql
	else
		f=$(ls sql/dti_warehouse--*--"$v".sql 2>/dev/null | head -1)
	fi
	need=
	[ -n "$f" ] && need=$(sed -n "s/.*need constant text := '\([0-9.]*\)'.*/\1/p" "$f" | head -1)
	[ -n "$need" ] || need=$(awk -v v="$v" '$1 == v { print $2 }' test/upgrade/warehouse_min_dti)
	[ -n "$need" ] || { echo "no minimum dti known for dti_warehouse $v" >&2; return 1; }
	echo "$need"
}
