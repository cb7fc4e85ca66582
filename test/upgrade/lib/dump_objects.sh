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
