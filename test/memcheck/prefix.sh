#!/usr/bin/env bash
# A private copy of the PostgreSQL installation (private_tree in
# test/cluster.sh) with this tree's extensions installed into it, so that an
# instrumented (or any experimental) build can run without replacing the
# server's shared copy of dti, and without the install lock.  The dti files
# come from a build of this tree, with the given flags, in a scratch copy of
# it.
#
#   test/memcheck/prefix.sh DIR [extra CFLAGS for the build]
#
# prints the bin directory of the private installation (for PG_BINDIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=$1
cflags=${2:-}
. test/cluster.sh
bin=$(private_tree "$prefix")

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
echo "$bin"
