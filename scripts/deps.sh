#!/usr/bin/env bash
# Installs the Debian 12 packages Lector needs to build, run, test and benchmark.
# Idempotent: packages already present are not downloaded again.
#
#   scripts/deps.sh [GROUP...]    GROUP: build, voices, test (default: all three)
#
# `build` compiles Lector and packages it (cpack -G DEB); `voices` is the engines' data a server
# needs at run time beyond what the .deb's Depends pull in (festival's Scheme library and
# voices); `test` runs the tests and benchmarks. deploy/Dockerfile uses `build` in its build
# stage and `voices` in its runtime stage.
set -euo pipefail

build_packages=(
  cmake ninja-build ccache g++ pkg-config clang-format clang-tidy
  libboost1.81-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libgtest-dev libicu-dev
  # configuration and keys files (src/app/config.cpp, src/access/keys.cpp; a shared library:
  # libtomlplusplus3 at run time), and the SHA-256 digests API keys are compared by (libcrypto3)
  libtomlplusplus-dev libssl-dev
  # the audio pipeline (src/audio): resampler, MP3, Ogg Opus and FLAC encoders
  libsoxr-dev libmp3lame-dev libopusenc-dev libflac-dev
  # https:// for the remote engine (optional at build time: http:// works without it)
  libssl-dev ca-certificates
  # --zeroconf: announces the Wyoming port through the Avahi daemon (optional at build time)
  libavahi-client-dev
  # engines
  libespeak-ng-dev espeak-ng-data
  # the kokoro engine's voices archive (a NumPy .npz: zip entries stored or deflated)
  zlib1g-dev
  flite1-dev
  festival-dev libestools-dev
  # the reference decoders of the audio tests and of lector-decode (tests/unit/audio_decode.h),
  # built with the tests
  libmpg123-dev libopusfile-dev libogg-dev
  # cpack -G DEB (cmake/packaging.cmake): dpkg-shlibdeps computes Depends, and CPack finds the
  # ELF files to give it with `file`
  dpkg-dev file
)
voice_packages=(
  espeak-ng-data
  # festival's Scheme library (/usr/share/festival) and every festival voice in Debian 12 main.
  # festvox-kallpc8k and festvox-kdlpc8k (8 kHz kal and ked) conflict with the 16 kHz packages
  # below, which are preferred. The Indic voices only Recommend their language packages, which
  # --no-install-recommends skips.
  festival
  festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts festvox-italp16k festvox-itapc16k
  festvox-ru festvox-suopuhe-lj festvox-suopuhe-mv festvox-czech-dita festvox-czech-krb
  festvox-czech-machac festvox-czech-ph festvox-hi-nsk festvox-mr-nsk festvox-te-nsk
  festvox-ca-ona-hts festival-hi festival-mr festival-te
)
test_packages=(
  # the engines' own command-line programs, references of the engine tests
  espeak-ng flite
  # openssl: the self-signed certificate of the https case in tests/e2e/test_remote.py
  python3 sox openssl python3-fastapi python3-uvicorn python3-requests python3-websockets gnuplot-nox wrk
  # perf: the server's profile under load, bench/run.py --profile
  linux-perf
  # the intelligibility check in tests/e2e/test_engines.py (pocketsphinx_continuous, en-us model)
  pocketsphinx pocketsphinx-en-us
  # tests/e2e/test_scaleout.py: two servers behind nginx (run as the test user, never as the
  # system service); tests/e2e/test_deploy_files.py: the Kubernetes manifests parsed
  nginx python3-yaml
  # tests/neural/make_piper.py: the tiny Piper-shaped ONNX models of the neural engines' tests
  python3-onnx python3-numpy
)

groups=("$@")
((${#groups[@]})) || groups=(build voices test)
packages=()
for group in "${groups[@]}"; do
  case "$group" in
    build)
      packages+=("${build_packages[@]}")
      # npm fetches Swagger UI (swagger-ui-dist, third_party/swagger-ui) for /docs when CMake
      # configures; without it the build works and /docs answers 503. The machine image may
      # carry its own Node.js (with npm); Debian's npm conflicts with it.
      command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
      ;;
    voices) packages+=("${voice_packages[@]}") ;;
    test)
      packages+=("${test_packages[@]}")
      # Node.js runs the openai SDK test (and the browser test). The machine image may carry its
      # own Node.js (with npm); Debian's npm conflicts with it.
      command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
      if [[ "${LECTOR_BROWSER_TESTS:-1}" == 1 ]]; then
        packages+=(chromium)
      fi
      ;;
    *)
      echo "deps.sh: unknown group '$group' (build, voices, test)" >&2
      exit 2
      ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime's C header (to build the neural engines) and Microsoft's libonnxruntime.so.1 (to
# test them), from two pinned npm packages into third_party/onnxruntime; a no-op once there.
# Debian 12 has no ONNX Runtime. See scripts/onnxruntime.sh.
for group in "${groups[@]}"; do
  if [[ $group == build || $group == test ]]; then
    "$(dirname "$0")/onnxruntime.sh"
    break
  fi
done
