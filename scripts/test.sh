#!/usr/bin/env bash
# Every check and test of the project: formatting, lints, and all test suites.
# Works on a fresh Debian 12 machine as root (installs what it needs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
echo "== cargo fmt";    cargo fmt --all -- --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test";   cargo test --workspace --locked
