#!/usr/bin/env bash
# Fuzzes every decoder that takes bytes from the network (fuzz/fuzz_targets/), each for a
# bounded time, from a seed corpus of real messages, documents, headers and bodies.
#   bash scripts/fuzz.sh              every target, FUZZ_SECONDS (default 30) each
#   bash scripts/fuzz.sh message 600  one target for 600 s
# FUZZ_SEED fixes libFuzzer's seed (CI: the same run for the same code).
# Needs the nightly toolchain (cargo-fuzz builds with sanitizers); installs cargo-fuzz.
# A crash stops the run and leaves its input in fuzz/artifacts/<target>/: turn it into a
# regression test beside the decoder, then fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
if [ "$#" -ge 2 ]; then seconds="$2"; fi
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  echo "error: fuzzing needs the $toolchain Rust toolchain (rustup toolchain install $toolchain)" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing: cargo-fuzz"
  cargo install cargo-fuzz --locked --version '^0.13'
fi
if [ -n "${FUZZ_WORK:-}" ]; then
  work="$FUZZ_WORK"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
cargo run --quiet --locked --manifest-path fuzz/Cargo.toml --example seeds -- "$work/seeds"
cd fuzz
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
else
  targets=("$1")
fi
cargo +"$toolchain" fuzz build -O
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  cp -n "$work/seeds/$t/"* "$work/corpus/$t/" 2>/dev/null || true
  echo "== fuzz $t (${seconds}s)"
  log="$work/$t.log"
  if ! cargo +"$toolchain" fuzz run -O "$t" "$work/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
    >"$log" 2>&1; then
    grep -v '^"' "$log" | tail -n 40 >&2
    echo "fuzz target $t failed: its input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^(Done [0-9]+ runs|stat::(number_of_executed_units|new_units_added|peak_rss_mb))' "$log" || true
done
