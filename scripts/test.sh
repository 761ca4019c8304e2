#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, unit, integration and the
# end-to-end tests with real terraform (1.0.3, installed here, and the
# terraform on PATH when there is one). What CI runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "==> Installing Terraform 1.0.3 (oldest supported) into .tools/"
scripts/install-terraform.sh

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> cargo test"
cargo test --locked --workspace --all-targets

echo "==> doc tests"
cargo test --locked --workspace --doc
