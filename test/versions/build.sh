#!/usr/bin/env bash
# Build PostgreSQL MAJOR (17, 18) and pgTAP for it from Debian's source
# packages, once, into a cache directory outside the checkout; print the
# installation prefix (its bin/pg_config is the PG_CONFIG to build dti with).
#
#   test/versions/build.sh MAJOR [postgis]
#
# With "postgis", PostGIS too (for the warehouse; without raster, protobuf
# and the address standardizer, which the warehouse does not use; it needs
# Debian 12's libgeos-dev, libproj-dev and libjson-c-dev).
# The cache is DTI_PG_CACHE (default /var/cache/dti-pg).  Each build lives in
# <cache>/<major>-<Debian source version>, complete once the file .complete is
# there; a prefix that is complete is reused as it is, so a new Debian upload
# of the same major gets a fresh build next to the old one.  Sources come
# from the deb-src entry test/versions/sources.sh adds (Debian 13 for 17,
# unstable for 18); the server is built with Debian 12's own toolchain,
# without documentation or extra languages.  Progress and build logs go to
# stderr and to <prefix>.log; only the prefix goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Run from make test-versions, the builds would inherit the outer make's
# level and flags; PostgreSQL's top-level make generates its headers only at
# level 0.
unset MAKELEVEL MAKEFLAGS MFLAGS

major=${1:?usage: test/versions/build.sh MAJOR [postgis]}
with_postgis=${2:-}
cache=${DTI_PG_CACHE:-/var/cache/dti-pg}
jobs=${DTI_PG_JOBS:-2}

# The sources, pinned: Debian source package, its Debian version, the
# upstream tarball of that version and the tarball's SHA-256 (as Debian's
# .dsc lists it).  Debian's patches are not applied (they adapt directories
# to Debian's layout): the build is the upstream release.  A new version is
# a new line here, hence a new cache entry.
case $major in
17) src=(postgresql-17 17.11-0+deb13u1 postgresql-17_17.11.orig.tar.bz2
	dd27f2b3c59e73ed14aa3324901242bf69a032a6347805f274e6260322d42979) ;;
18) src=(postgresql-18 18.6-3 postgresql-18_18.6.orig.tar.bz2
	555610c24d53e4316da5b7d3fc25c279d96856d5e0e23ee308c328c5fa881d9f) ;;
*) echo "build.sh: no pinned source for PostgreSQL $major" >&2; exit 2 ;;
esac
pgtap=(pgtap 1.3.4-1 pgtap_1.3.4.orig.tar.gz
	d2c951afb296a001d21785611a8e966e3f8fa3f5bfbd929396a5130c0152f314)
postgis=(postgis 3.6.4+dfsg-2 postgis_3.6.4+dfsg.orig.tar.xz
	fb68cdc54bae26fc0618a75d0f45f0cb05f7dddadf8ef7a15290b8066c9485a6)
mirror=${DTI_DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ -z "$with_postgis" ] || export DTI_PG_EXTRA_PKGS="libgeos-dev libproj-dev libjson-c-dev"
test/versions/sources.sh >&2

# fetch PACKAGE VERSION TARBALL SHA256 DIR: put the upstream tarball of
# PACKAGE's Debian source VERSION into DIR and unpack it there; print the
# unpacked directory.  apt-get source fetches it while the deb-src suites
# list that version (checked by apt against the signed release files); once
# Debian has moved on, or when the mirror lacks it, the tarball comes from
# the mirror's pool.  Either way its SHA-256 must be the pinned one.
fetch() {
	local pkg=$1 ver=$2 tarball=$3 sum=$4 dir=$5 sub
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! (cd "$dir" && apt-get source -qq --download-only --only-source "$pkg=$ver" >&2 2>/dev/null) ||
		[ ! -e "$dir/$tarball" ]; then
		sub=${pkg:0:1}
		case $pkg in lib*) sub=${pkg:0:4} ;; esac
		curl -fsS -o "$dir/$tarball" "$mirror/pool/main/$sub/$pkg/${tarball//+/%2b}" >&2 || return 1
	fi
	echo "$sum  $dir/$tarball" | sha256sum -c --quiet >&2 || return 1
	tar -xf "$dir/$tarball" -C "$dir" || return 1
	find "$dir" -mindepth 1 -maxdepth 1 -type d | head -1
}

pgver=${src[1]}
prefix=$cache/$major-$pgver
log=$prefix.log
mkdir -p "$cache"

# One build per prefix at a time (two checkouts may ask at once).
exec 8>"$prefix.lock"
flock 8

step() {	# step NAME MARKER COMMAND...: run once, timed, logged
	local name=$1 marker=$2 t0 t1
	shift 2
	[ -e "$prefix/$marker" ] && return 0
	echo "build.sh: PostgreSQL $major ($pgver): $name ..." >&2
	t0=$(date +%s)
	if ! "$@" >>"$log" 2>&1; then
		tail -40 "$log" >&2
		echo "build.sh: $name failed; log: $log" >&2
		exit 1
	fi
	t1=$(date +%s)
	echo "build.sh: PostgreSQL $major ($pgver): $name took $((t1 - t0)) s" | tee -a "$log" >&2
	touch "$prefix/$marker"
}

build_server() {
	local dir
	rm -rf "$prefix" "$prefix.src"
	dir=$(fetch "${src[@]}" "$prefix.src") || return 1
	mkdir -p "$prefix"
	(cd "$dir" &&
		./configure --prefix="$prefix" --without-llvm --without-perl --without-python \
			--without-tcl --with-openssl --with-icu --with-libxml --with-lz4 --with-zstd &&
		make -j"$jobs" &&
		make install &&
		make -C contrib -j"$jobs" &&
		make -C contrib install)
}

build_pgtap() {
	local dir
	rm -rf "$prefix.pgtap"
	dir=$(fetch "${pgtap[@]}" "$prefix.pgtap") || return 1
	(cd "$dir" && make PG_CONFIG="$prefix/bin/pg_config" && make PG_CONFIG="$prefix/bin/pg_config" install)
}

build_postgis() {
	local dir
	dir=$(fetch "${postgis[@]}" "$prefix.postgis") || return 1
	(cd "$dir" &&
		./configure --with-pgconfig="$prefix/bin/pg_config" --without-raster \
			--without-protobuf --without-address-standardizer --without-interrupt-tests &&
		make -j"$jobs" &&
		make install)
}

step "server" .complete build_server
step "pgTAP ${pgtap[1]}" ".pgtap-${pgtap[1]}" build_pgtap
[ -z "$with_postgis" ] || step "PostGIS ${postgis[1]}" ".postgis-${postgis[1]}" build_postgis
rm -rf "$prefix.src" "$prefix.pgtap" "$prefix.postgis"
echo "$prefix"
