#!/usr/bin/env bash
# Runs clang-tidy (checks in .clang-tidy) over every source file in src/, using the `ci`
# build's compile_commands.json (configured here if missing). Prints the findings and a count
# per file; exits 1 if there are any. Pass file paths to check only those, e.g.
#   ./scripts/tidy.sh src/app/main.cpp
# LECTOR_TIDY_JOBS sets the parallelism (default 2: the build machines are small).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/ci
[[ -f $build/compile_commands.json ]] || cmake --preset ci >/dev/null
# Generated headers (the embedded page) must exist before the sources that include them parse.
cmake --build --preset ci --target lector_api >/dev/null

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp')
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The compile commands are GCC's: drop the GCC-only warning flags clang does not know, and
# keep -Werror from turning clang's own compiler warnings into tidy errors.
run-clang-tidy -quiet -p "$build" -j "${LECTOR_TIDY_JOBS:-2}" \
  -extra-arg=-Wno-unknown-warning-option -extra-arg=-Wno-error \
  "${files[@]/#/$PWD/}" >"$log" 2>&1 || true
grep -v -E '^(clang-tidy|[0-9]+ warnings? (and [0-9]+ errors? )?generated|Suppressed [0-9]+ warnings|Use -header-filter|Enabled checks:|Running clang-tidy)' "$log" \
  | grep -v -E '^\s*$' || true
echo "== findings per file"
grep -o -E "^/[^:]+:[0-9]+:[0-9]+: (warning|error):" "$log" | sort -u | cut -d: -f1 \
  | sed "s|^$PWD/||" | sort | uniq -c | sort -rn || true
total=$(grep -o -E "^/[^:]+:[0-9]+:[0-9]+: (warning|error):" "$log" | sort -u | wc -l)
echo "== $total findings"
((total == 0))
