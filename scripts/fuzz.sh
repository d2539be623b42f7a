#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, the `fuzz` preset: clang++ with ASan + UBSan) and
# runs each for SECONDS (default 60), starting from its seed corpus in tests/fuzz/corpus/NAME.
# New inputs go to build/fuzz/corpus/NAME (kept between runs, never into the repo); a crash
# leaves its input in build/fuzz/artifacts/ and fails the script. To keep a crash as a
# regression case, copy its input into tests/fuzz/corpus/NAME/ (every run replays the seeds).
#   scripts/fuzz.sh            60 s per target
#   scripts/fuzz.sh 600        ten minutes per target
#   FUZZ_TARGETS="fuzz_utf8 fuzz_segmenter" scripts/fuzz.sh 30
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
targets=(${FUZZ_TARGETS:-fuzz_segmenter fuzz_utf8 fuzz_worker_frames fuzz_wyoming_frames fuzz_ssml fuzz_text fuzz_request fuzz_ws_session})

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${LECTOR_BUILD_JOBS:-2}"

out=build/fuzz
mkdir -p "$out/artifacts"
# The fuzz server's scheduler and Api are deliberately never freed (tests/fuzz/fuzz_server.h);
# they stay reachable, so LeakSanitizer does not report them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
summary=()
status=0
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t"
  dict=()
  case "$t" in
    fuzz_request|fuzz_ws_session|fuzz_wyoming_frames) dict=(-dict=tests/fuzz/json.dict) ;;
  esac
  echo "== $t for ${seconds} s"
  log="$out/$t.log"
  if "$out/fuzz/$t" "$out/corpus/$t" "tests/fuzz/corpus/$t" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=4096 \
      -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    summary+=("$t: ${runs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$out/corpus/$t" | wc -l) files")
  else
    status=1
    tail -60 "$log"
    summary+=("$t: FAILED, see $log and $out/artifacts/")
  fi
done
echo "== fuzzing summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit "$status"
