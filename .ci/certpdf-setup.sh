#!/bin/sh
# Installs what the certificate rendering tests (attendance/certpdf) need on a
# fresh Debian 12 machine, as root: the Noto fonts the renderer reads
# (fonts-noto-core) and pdftoppm (poppler-utils), which turns a rendered
# certificate into a PNG artefact. Packages already installed are left alone.
# Run the tests with ROLLCALL_REQUIRE_FONTS=1 so that missing fonts fail them
# instead of skipping, and ROLLCALL_ARTIFACT_DIR=DIR to keep the PNG.
set -eu

need=""
for pkg in fonts-noto-core poppler-utils; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		need="$need $pkg"
	fi
done

if [ -z "$need" ]; then
	echo "certpdf-setup: fonts-noto-core and poppler-utils already installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "certpdf-setup: must run as root to install:$need" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # $need is a list of package names
apt-get install -y --no-install-recommends $need
echo "certpdf-setup: installed$need"
