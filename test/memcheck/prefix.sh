#!/usr/bin/env bash
# A private copy of the PostgreSQL installation with this tree's extensions
# installed into it, so that an instrumented (or any experimental) build can
# run without replacing the server's shared copy of dti, and without the
# install lock.  The server binaries are real copies (PostgreSQL finds its
# share and lib directories relative to its own executable); everything else
# of the system installation is linked, except the dti files, which come
# from a build of this tree in a scratch copy of it.
#
#   test/memcheck/prefix.sh DIR [extra CFLAGS for the build]
#
# prints the bin directory of the private installation (for PG_BINDIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=$1
cflags=${2:-}
bindir=$(pg_config --bindir)
libdir=$(pg_config --pkglibdir)
sharedir=$(pg_config --sharedir)

mkdir -p "$prefix$bindir" "$prefix$libdir" "$prefix$sharedir/extension"
for b in postgres initdb pg_ctl; do
	cp "$bindir/$b" "$prefix$bindir/$b"
done
link_dir() {	# link the entries of $1 into $2, except names matching $3
	local e
	for e in "$1"/*; do
		case $(basename "$e") in $3) continue ;; esac
		[ -e "$2/$(basename "$e")" ] || ln -s "$e" "$2/"
	done
}
link_dir "$libdir" "$prefix$libdir" 'dti*|bitcode'
mkdir -p "$prefix$libdir/bitcode"
[ -d "$libdir/bitcode" ] && link_dir "$libdir/bitcode" "$prefix$libdir/bitcode" 'dti*'
link_dir "$sharedir" "$prefix$sharedir" 'extension'
link_dir "$sharedir/extension" "$prefix$sharedir/extension" 'dti*'

# build a scratch copy of the tree, so the worktree's objects stay as they are
src=$prefix/src
mkdir -p "$src"
git ls-files -z | xargs -0 cp --parents -t "$src"
# files not yet committed that the build needs
cp --parents -t "$src" $(git ls-files --others --exclude-standard -- extension sql '*.control' Makefile) 2>/dev/null || true
make -s -C "$src" with_llvm=no COPT="$cflags" all >"$prefix/build.log" 2>&1 &&
	make -s -C "$src" with_llvm=no COPT="$cflags" DESTDIR="$prefix" install >>"$prefix/build.log" 2>&1 ||
	{ cat "$prefix/build.log" >&2; exit 1; }
chmod -R a+rX "$prefix"
echo "$prefix$bindir"
