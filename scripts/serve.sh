#!/usr/bin/env bash
# Installs what Lector needs, builds it, and starts `lector serve` on 127.0.0.1:8000 with
# espeak-ng. Extra arguments go to `lector serve` (see `lector serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
LECTOR_BROWSER_TESTS=0 ./scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target lector
# The defaults go through the environment, so that `serve.sh --port 9000` overrides them (a flag
# beats a LECTOR_* variable) instead of repeating the flag.
LECTOR_HOST="${LECTOR_HOST:-127.0.0.1}" LECTOR_PORT="${LECTOR_PORT:-8000}" \
  exec ./build/release/lector serve "$@"
