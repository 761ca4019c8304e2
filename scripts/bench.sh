#!/usr/bin/env bash
# Prints the project's performance figures: cold start to handshake line,
# apply/plan/destroy of 100 trusted certificate profiles against the
# simulator with each terraform version, and the provider's peak memory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-terraform.sh" >/dev/null
cd "$root"
exec cargo bench --bench provider
