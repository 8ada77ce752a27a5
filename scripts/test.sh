#!/usr/bin/env bash
# Every check and test of the project: formatting, lints, all test suites, and the
# end-to-end run of the real desktop app under Xvfb (never skipped).
# Works on a fresh Debian 12 machine as root (installs what it needs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# The app crate embeds ui/dist at compile time, so the UI is built before any cargo step.
echo "== ui";           (cd ui && npm ci --no-audit --no-fund && npm run build && npm test)
echo "== cargo fmt";    cargo fmt --all -- --check
# Both lock files up to date before anything long runs (the fuzz workspace has its own).
echo "== lock files";   cargo metadata --locked --format-version 1 >/dev/null \
  && cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
echo "== cargo clippy"; cargo clippy --workspace --all-targets --locked -- -D warnings
# custom-protocol as the E2E build below has it, so that build reuses everything built here.
echo "== cargo test";   cargo test --workspace --locked --features wangge-app/custom-protocol
# `cargo test` regenerated the IPC bindings (export_bindings); committed ones must match.
if git rev-parse --git-dir >/dev/null 2>&1; then
  echo "== bindings";   test -z "$(git status --porcelain -- ui/src/bindings)" \
    || { git status --porcelain -- ui/src/bindings; echo "ui/src/bindings is stale: commit the regenerated files" >&2; exit 1; }
fi
# Every input a fuzz target ever failed on, replayed (stable); then each target fuzzed for a
# bounded time from a seed corpus (nightly, cargo-fuzz).
echo "== fuzz regressions"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --manifest-path fuzz/Cargo.toml --all-targets --locked -- -D warnings
cargo test --manifest-path fuzz/Cargo.toml --locked
echo "== fuzz";         FUZZ_SECONDS="${FUZZ_SECONDS:-30}" FUZZ_SEED="${FUZZ_SEED:-1}" bash scripts/fuzz.sh
# The real desktop app, two instances and a relay, driven over WebDriver under Xvfb.
echo "== e2e";          bash scripts/e2e.sh
