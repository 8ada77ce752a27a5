#!/usr/bin/env bash
# Installs the system packages the build and tests need (Debian 12, as root). Idempotent:
# skips apt entirely when everything is already there.
set -euo pipefail
pkgs=(build-essential pkg-config perl make)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo (Rust >= 1.88) is required; install it with rustup" >&2
  exit 1
fi
