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
# Generated sources (the embedded page) must exist before the files that include them parse.
cmake --build --preset ci --target lector_api >/dev/null

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp')
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# One output file per source, so parallel runs do not interleave. The compile commands are
# GCC's: -Wno-unknown-warning-option silences GCC-only warning flags, and -Wno-error keeps
# -Werror from turning clang's own compiler warnings into tidy errors.
printf '%s\n' "${files[@]}" | xargs -P "${LECTOR_TIDY_JOBS:-2}" -I{} sh -c \
  'clang-tidy -p "$1" --quiet --use-color=false --extra-arg=-Wno-unknown-warning-option \
     --extra-arg=-Wno-error "$2" >"$3/$(echo "$2" | tr / _).log" 2>&1 || true' \
  sh "$build" {} "$out"
cat "$out"/*.log | grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' || true
# A finding in a header is reported once for every source including it: count it once. The
# path-sensitive clang-analyzer checks also report paths that start in our code and end in
# Boost's headers (Asio's coroutine frames); those are listed above but not counted.
findings=$(cat "$out"/*.log | grep -E '^/[^:]+:[0-9]+:[0-9]+: (warning|error): ' \
  | grep -v -E '^/usr/' | sort -u || true)
echo "== findings per file"
[[ -n $findings ]] && cut -d: -f1 <<<"$findings" | sed "s|^$PWD/||" | sort | uniq -c | sort -rn
total=$(grep -c . <<<"$findings" || true)
echo "== $total findings"
((total == 0))
