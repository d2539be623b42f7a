#!/usr/bin/env bash
# Installs what Lector needs, builds it, and starts `lector serve` on 127.0.0.1:8000 with
# espeak-ng. Extra arguments go to `lector serve` (see `lector serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
LECTOR_BROWSER_TESTS=0 ./scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target lector
exec ./build/release/lector serve --host 127.0.0.1 --port 8000 "$@"
