#!/usr/bin/env bash
# Installs the Debian 12 packages Prism Studio needs to build and test.
# Idempotent: packages already present are skipped; prints what it installs.
# Runs as root (or through sudo when available).
set -euo pipefail

packages=(
    cmake ninja-build g++ pkg-config git clang-format
    libgtest-dev libgmock-dev libbenchmark-dev
    nlohmann-json3-dev libpcre2-dev libsentencepiece-dev libcli11-dev libsqlite3-dev
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
    fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "setup-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done"
