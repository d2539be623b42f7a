#!/usr/bin/env bash
# Installs what Lector needs, then builds and runs every test:
#   1. a release build with warnings as errors: unit tests and end-to-end tests (real binary,
#      real espeak-ng workers, real sockets) and the page in a real Chromium;
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build running the same tests;
#   3. a ThreadSanitizer build running the unit tests and the end-to-end tests of the
#      scheduler and the transports, where the threads meet.
#   4. the libFuzzer targets (tests/fuzz, clang), 10 s each (scripts/fuzz.sh; longer by hand);
#   5. a 45-second soak of the release build on every synthesis route (scripts/soak.py).
# Set LECTOR_SKIP_ASAN=1, LECTOR_SKIP_TSAN=1, LECTOR_SKIP_FUZZ=1 or LECTOR_SKIP_SOAK=1 to leave
# out the second, third, fourth or fifth part.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

echo "== format check"
mapfile -t sources < <(git ls-files 'src/*.cpp' 'src/*.h' 'tests/unit/*.cpp' 'tests/unit/*.h' 'tests/fuzz/*.cpp' 'tests/fuzz/*.h')
clang-format --dry-run --Werror "${sources[@]}"

echo "== Swagger UI for /docs (npm ci; embedded by the build)"
(cd third_party/swagger-ui && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "== the openai SDK for its end-to-end test (npm ci)"
(cd tests/openai && npm ci --no-audit --no-fund --loglevel=error)
if [[ "${LECTOR_BROWSER_TESTS:-1}" == 1 ]]; then
  echo "== browser test tooling (npm ci)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== release build (-Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci

# The later stages' builds (ThreadSanitizer, then the fuzzers) compile in the background at
# the lowest priority, one job at a time, while the release and sanitizer tests run: those
# tests mostly wait on sockets and engines, so a spare core would otherwise idle. At nice 19 a
# compiler gets CPU only when the tests leave it (about 1/70 of a core when both want it), so
# the tests keep their pace. Each stage then finishes its build in the foreground, at full
# width (the background builds are stopped first: ninja keeps every object already compiled);
# a compile error is reported there, by the same command.
background_builds() {
  if [[ "${LECTOR_SKIP_TSAN:-0}" != 1 ]]; then
    cmake --preset tsan >/dev/null && cmake --build --preset tsan -j1 --target lector lector_unit_tests
  fi
  if [[ "${LECTOR_SKIP_FUZZ:-0}" != 1 ]]; then
    cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j1
  fi
}
mkdir -p build
# setsid: its own process group, so that stopping it stops its compilers too.
setsid nice -n 19 bash -c "$(declare -f background_builds); background_builds" \
  >build/background-builds.log 2>&1 &
background_pid=$!
stop_background_builds() {
  kill -TERM -- "-$background_pid" 2>/dev/null || true
  wait "$background_pid" 2>/dev/null || true
}
trap stop_background_builds EXIT

ctest --preset ci

if [[ "${LECTOR_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== ASan + UBSan build"
  cmake --preset asan >/dev/null
  # What the tests run: the server, the unit tests and the decoder the e2e tests check formats
  # with (not the benchmark tools). The package test is the release build's concern.
  cmake --build --preset asan --target lector lector_unit_tests lector-decode
  ctest --preset asan -E '^e2e\.test_package$'
fi
stop_background_builds
if [[ "${LECTOR_SKIP_TSAN:-0}" != 1 ]]; then
  echo "== ThreadSanitizer build"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan --target lector lector_unit_tests
  # The engine and codec tests run single-threaded library code (festival alone is ~80 s under
  # TSan) where there is nothing for it to find; ASan runs them.
  ctest --preset tsan -L unit -E '^(Engines|TestEngine|Audio)/'
  # The harness fails a test whose server log holds "WARNING: ThreadSanitizer".
  ctest --preset tsan -L e2e \
    -R '^e2e\.test_(scheduling|stream|faults|concurrency|disconnect|slots|tone|parallel_jobs|wyoming)$'
fi
if [[ "${LECTOR_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "== fuzzers (10 s each)"
  ./scripts/fuzz.sh 10
fi
if [[ "${LECTOR_SKIP_SOAK:-0}" != 1 ]]; then
  echo "== soak (45 s)"
  python3 scripts/soak.py --seconds 45 --bin build/ci/lector
fi
echo "All tests passed."
