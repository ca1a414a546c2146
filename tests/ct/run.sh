#!/usr/bin/env bash
# Constant-time test of keyfort's key unwrap under Valgrind memcheck (ctgrind technique).
#
# Builds the `wrap_ct` test with the `aes` crate's software (fixsliced) backend forced
# (not the Cortex-M AES, which is keyfort-aes: see tests/aes_model_ct.rs and
# `./x test ct-data`) in its own target directory (so the changed
# RUSTFLAGS do not rebuild the main one), then runs it. The test binary re-executes itself
# under `valgrind --tool=memcheck`, marks the KEK and the wrapped input undefined, runs
# valid and invalid unwraps (every failing check), and requires zero memcheck errors for
# keyfort and at least one for the deliberately naive compare. Exit status 0 = pass.
#
# Usage: tests/ct/run.sh            (from anywhere; ~1 min cold build, ~10 s warm)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/ct}"
export RUSTFLAGS="${RUSTFLAGS:-} --cfg aes_backend=\"soft\""
exec cargo test -p keyfort-tests --test wrap_ct "$@"
