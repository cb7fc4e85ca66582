#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests, benchmarks and the demo.
#
# Source this file (PG_BINDIR may name another server's bin directory, and
# PG_CONFIG another server's pg_config, as make test-versions does), then:
#   cluster_start            starts a cluster in a new temporary directory on a
#                            free port and exports PGHOST, PGPORT, PGUSER;
#   cluster_stop             stops it and removes the directory;
#   cluster_stop_all         stops every cluster this shell started (several
#                            can run side by side: save PGPORT and CLUSTER_DIR
#                            after each cluster_start, as test/scale/run.sh does).
# As root, initdb and pg_ctl run as the postgres user, which owns the directory.
# Local connections are trusted, so that pg_cron and postgres_fdw loopback
# connections work without passwords.  pg_cron is preloaded (CLUSTER_PRELOAD,
# if set, names the preloaded libraries instead: empty for none, on a server
# built without pg_cron).

PG_BINDIR=${PG_BINDIR:-$(${PG_CONFIG:-pg_config} --bindir)}
CLUSTER_DIRS=()

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

# replace_section NAME FILE OUT: put FILE, which begins and ends with the
# markers <!-- NAME:start --> and <!-- NAME:end -->, in place of the lines
# between those markers in OUT (at its end when OUT has none), so that each
# benchmark or check rewrites only its own section of a shared page.
replace_section() {
	local name=$1 file=$2 out=$3
	touch "$out"
	awk -v sec="$file" -v start="<!-- $name:start -->" -v end="<!-- $name:end -->" '
		BEGIN { while ((getline l < sec) > 0) s = s l "\n" }
		index($0, start) { skip = 1; printf "%s", s; done = 1; next }
		index($0, end) { skip = 0; next }
		!skip { print }
		END { if (!done) printf "\n%s", s }
	' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
}

# private_tree DIR: a private copy of the server's installation under DIR,
# made on first use.  The server binaries are real copies (PostgreSQL finds
# its share and lib directories relative to its own executable); every other
# file is linked, except this project's, which "make install DESTDIR=DIR"
# then writes there.  Prints the bin directory (for PG_BINDIR).
_link_entries() {	# link the entries of $1 into $2, except names matching $3
	local e
	for e in "$1"/*; do
		case $(basename "$e") in $3) continue ;; esac
		[ -e "$2/$(basename "$e")" ] || ln -s "$e" "$2/"
	done
}
private_tree() {
	local tree=$1 bindir libdir sharedir b
	bindir=$(${PG_CONFIG:-pg_config} --bindir)
	libdir=$(${PG_CONFIG:-pg_config} --pkglibdir)
	sharedir=$(${PG_CONFIG:-pg_config} --sharedir)
	if [ ! -x "$tree$bindir/postgres" ]; then
		mkdir -p "$tree$bindir" "$tree$libdir/bitcode" "$tree$sharedir/extension" || return 1
		for b in postgres initdb pg_ctl; do
			cp "$bindir/$b" "$tree$bindir/$b" || return 1
		done
		_link_entries "$libdir" "$tree$libdir" 'dti*|bitcode'
		[ ! -d "$libdir/bitcode" ] || _link_entries "$libdir/bitcode" "$tree$libdir/bitcode" 'dti*'
		_link_entries "$sharedir" "$tree$sharedir" 'extension'
		_link_entries "$sharedir/extension" "$tree$sharedir/extension" 'dti*'
		chmod -R a+rX "$tree"
	else
		# what was installed into the server since (Citus, say) shows up too
		_link_entries "$libdir" "$tree$libdir" 'dti*|bitcode'
		_link_entries "$sharedir/extension" "$tree$sharedir/extension" 'dti*'
	fi
	echo "$tree$bindir"
}

# install_build: install the build for a run.  By default into the server's
# own directories, one checkout at a time: an exclusive lock on fd 9 (the
# install lock), held until the caller exits (unless a process above holds
# it already).  With DTI_PG_TREE=<dir>, into a private copy of the server's
# installation there (private_tree): no lock, and the system installation
# is left alone.
install_build() {
	if [ -n "${DTI_PG_TREE:-}" ]; then
		PG_BINDIR=$(private_tree "$DTI_PG_TREE") || return 1
		export PG_BINDIR
		make -s install DESTDIR="$DTI_PG_TREE"
	else
		if ! lock_held_above "${TMPDIR:-/tmp}/dti-install.lock"; then
			exec 9>"${TMPDIR:-/tmp}/dti-install.lock"
			flock 9
		fi
		make -s install
	fi
}

_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		su postgres -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cluster_start() {
	local port extra_conf=${1:-}
	CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dti-cluster.XXXXXX")
	chmod 755 "$CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$CLUSTER_DIR"
	port=$((20000 + RANDOM % 20000))
	while ! _port_free "$port"; do port=$((port + 1)); done
	_as_owner "'$PG_BINDIR/initdb' -D '$CLUSTER_DIR/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >'$CLUSTER_DIR/initdb.log' 2>&1" ||
		{ cat "$CLUSTER_DIR/initdb.log" >&2; return 1; }
	cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$CLUSTER_DIR'
shared_preload_libraries = '${CLUSTER_PRELOAD-pg_cron}'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
max_parallel_workers = 8
fsync = off
synchronous_commit = off
full_page_writes = off
lc_messages = 'C'
$extra_conf
CONF
	# the server must not inherit the caller's open files (the install lock);
	# CLUSTER_SERVER_ENV (VAR=value ..., no spaces in values) goes into the
	# server's environment (test/memcheck/run.sh preloads a sanitizer)
	_as_owner "${CLUSTER_SERVER_ENV:-} '$PG_BINDIR/pg_ctl' -D '$CLUSTER_DIR/data' -l '$CLUSTER_DIR/server.log' -w -t 60 start >/dev/null" 9>&- ||
		{ cat "$CLUSTER_DIR/server.log" >&2; return 1; }
	export PGHOST=$CLUSTER_DIR PGPORT=$port PGUSER=postgres
	CLUSTER_DIRS+=("$CLUSTER_DIR")
	# the tests expect the server's defaults: a caller's PGOPTIONS (e.g.
	# client_min_messages = warning) would hide the notices they check
	unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR" ] || return 0
	_as_owner "'$PG_BINDIR/pg_ctl' -D '$CLUSTER_DIR/data' -m fast -w stop >/dev/null 2>&1" || true
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
}

cluster_stop_all() {
	local d
	for d in "${CLUSTER_DIRS[@]}"; do
		CLUSTER_DIR=$d cluster_stop
	done
	CLUSTER_DIRS=()
	CLUSTER_DIR=
}
