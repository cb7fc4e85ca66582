#!/usr/bin/env bash
# What test/versions/build.sh needs from apt: a deb-src entry for Debian 13
# (trixie: PostgreSQL 17) and unstable (sid: PostgreSQL 18), source packages
# only, in a sources file of its own (the machine's binaries stay Debian
# 12's), and the -dev packages the builds use, from Debian 12.  Does nothing
# when all is there; as a non-root user it says what is missing.
set -euo pipefail

list=/etc/apt/sources.list.d/dti-pg-src.sources
pkgs=(
	dpkg-dev bison flex pkg-config make gcc          # apt-get source, the build
	libreadline-dev zlib1g-dev libssl-dev libicu-dev libxml2-dev liblz4-dev libzstd-dev
	libtap-parser-sourcehandler-pgtap-perl          # pg_prove
	${DTI_PG_EXTRA_PKGS:-}                          # PostGIS's, when it is built
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ -e "$list" ] && [ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ -e "$list" ] || echo "dti: no deb-src entry for trixie and sid ($list)" >&2
	[ ${#missing[@]} -eq 0 ] || echo "dti: missing packages: ${missing[*]}" >&2
	echo "dti: run test/versions/sources.sh as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ ! -e "$list" ]; then
	echo "dti: adding deb-src entries for trixie and sid ($list)"
	cat >"$list" <<SRC
# PostgreSQL 17 and 18 source packages for make test-versions (sources only:
# no binary package of these suites is installed).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "dti: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
