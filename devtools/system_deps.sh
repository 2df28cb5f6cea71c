#!/bin/sh
# `make system-deps`: the Debian packages the suite drives, installed only where one is missing.
#
# All present: prints nothing and installs nothing.  Something missing: says which packages it is about to install
# and why, then runs apt-get, as root directly, otherwise through sudo (said before sudo asks for a password).
set -eu

packages=""
reasons=""

want() {  # want PACKAGE WHY
  packages="$packages $1"
  reasons="$reasons
  $1: $2"
}

command -v chromium >/dev/null 2>&1 || want chromium "the browser tests drive it (never a downloaded browser)"
fc-list 2>/dev/null | grep -qi wenquanyi || want fonts-wqy-microhei "a CJK font for the browser tests' screenshots"
command -v faketime >/dev/null 2>&1 || want faketime "the fault suite's wrong clocks"
command -v shellcheck >/dev/null 2>&1 || want shellcheck "checks the station set-up script"
command -v pebble-challtestsrv >/dev/null 2>&1 || want pebble \
  "an ACME test CA and its DNS server (pebble-challtestsrv): the station-certificate tests issue and renew against it"
# named lives in /usr/sbin, outside a user's PATH on Debian (SBIN: where the tests put their stand-ins).
sbin="${SBIN:-/usr/sbin}"
command -v named >/dev/null 2>&1 || [ -x "$sbin/named" ] || want bind9 \
  "BIND, a name server taking RFC 2136 updates: the certificate tests set DNS-01 records with a TSIG key through it"
command -v certutil >/dev/null 2>&1 || want libnss3-tools \
  "certutil: the browser test puts pebble's root into Chromium's NSS trust store (never a disabled certificate check)"
command -v soffice >/dev/null 2>&1 || want libreoffice-calc-nogui \
  "LibreOffice headless writes the import tests' spreadsheets (xlsx, xls, ods, GBK CSV)"
command -v pdftoppm >/dev/null 2>&1 || want poppler-utils \
  "pdftoppm renders the official tables' PDF pages to PNG in the report tests (artifacts/reports/)"

[ -z "$packages" ] && exit 0

echo "system-deps: installing Debian packages the test suite needs:$reasons"
if [ "$(id -u)" = 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
  echo "system-deps: not root, so through sudo (it may ask for your password)"
else
  echo "system-deps: not root and no sudo here; as root run: apt-get install -y --no-install-recommends$packages" >&2
  exit 1
fi

# shellcheck disable=SC2086  # one word a package
$as_root apt-get install -y --no-install-recommends $packages ||
  { $as_root apt-get update && $as_root apt-get install -y --no-install-recommends $packages; }
