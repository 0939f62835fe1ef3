#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every
# test (unit, CLI, and integration against throwaway MariaDB servers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo test --locked
# The planner's full simulated-clock sweeps and factor searches (about a
# minute of CPU), kept out of the quick `cargo test --lib` loop.
cargo test --locked --lib planner_sim -- --ignored
