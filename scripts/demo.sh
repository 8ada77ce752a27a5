#!/usr/bin/env bash
# Sets up and runs the demo: an encrypted store seeded with a demo grid of invented
# residents, shown through the core library. Works on a fresh Debian 12 machine as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo run --locked --release -p wangge-core --example demo -- "${WANGGE_DEMO_DIR:-demo-data}"
