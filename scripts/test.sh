#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every
# test (unit, CLI, and integration against throwaway MariaDB servers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo test --locked
