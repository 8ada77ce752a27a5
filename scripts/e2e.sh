#!/usr/bin/env bash
# End-to-end test of the real desktop app: installs what it needs (apt packages, a CJK font,
# ImageMagick, tauri-driver, the UI's npm packages), builds the UI bundle and the app with
# its bundled assets (custom-protocol, not a dev server), the relay and the seeding device,
# then drives two app instances over WebDriver under Xvfb against a relay on loopback
# (e2e/run.mjs). Never skips: a missing tool is installed, a failed step fails the run.
# Screenshots: artifacts/e2e/. Prints the "standard day" UI action count.
#   bash scripts/e2e.sh [--only e2e|day]
# CARGO_TARGET_DIR is honoured (the binaries are taken from it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
phase() { echo "== $* ($(date -u +%H:%M:%S))"; }
t_start=$(date +%s)

phase "dependencies"
bash scripts/deps.sh --e2e

phase "UI bundle (ui/dist)"
# npm ci only when ui/node_modules does not match the lock file
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ] \
  || [ ui/package.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
(cd ui && npm run build)

phase "app (custom-protocol), relay, seeding device"
# One build of the whole workspace's binaries and examples, with the same package selection
# and features as scripts/test.sh's `cargo test`: every dependency it built is reused (a
# `-p` build resolves features for that package alone and rebuilt ~150 crates).
cargo build --locked --workspace --bins --examples --features wangge-app/custom-protocol
target="${CARGO_TARGET_DIR:-$root/target}"
export WANGGE_APP_BIN="$target/debug/wangge-app"
export WANGGE_RELAY_BIN="$target/debug/wangge-relay"
export WANGGE_SEED_BIN="$target/debug/examples/seed_relay"
export WANGGE_SINK_BIN="$target/debug/examples/notification_sink"
t_built=$(date +%s)
echo "setup and builds took $((t_built - t_start)) s"

phase "end-to-end run under Xvfb"
status=0
# A private session bus for the run: the app's OS notifications go over it to the test's
# notification server (e2e/lib/notify.mjs).
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" node e2e/run.mjs "$@" || status=$?
echo "end-to-end run took $(($(date +%s) - t_built)) s (exit $status)"
exit "$status"
