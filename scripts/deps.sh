#!/usr/bin/env bash
# Installs the Debian 12 packages Lector needs to build, run, test and benchmark.
# Idempotent: packages already present are not downloaded again.
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache g++ pkg-config clang-format clang-tidy
  libboost1.81-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libgtest-dev libicu-dev
  # configuration and keys files (src/app/config.cpp, src/access/keys.cpp; a shared library:
  # libtomlplusplus3 at run time), and the SHA-256 digests API keys are compared by (libcrypto3)
  libtomlplusplus-dev libssl-dev
  # the audio pipeline (src/audio): resampler, MP3, Ogg Opus and FLAC encoders
  libsoxr-dev libmp3lame-dev libopusenc-dev libflac-dev
  # engines
  libespeak-ng-dev espeak-ng espeak-ng-data
  flite1-dev flite
  festival festival-dev libestools-dev
  # every festival voice in Debian 12 main. festvox-kallpc8k and festvox-kdlpc8k (8 kHz kal
  # and ked) conflict with the 16 kHz packages below, which are preferred. The Indic voices
  # only Recommend their language packages, which --no-install-recommends skips.
  festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts festvox-italp16k festvox-itapc16k
  festvox-ru festvox-suopuhe-lj festvox-suopuhe-mv festvox-czech-dita festvox-czech-krb
  festvox-czech-machac festvox-czech-ph festvox-hi-nsk festvox-mr-nsk festvox-te-nsk
  festvox-ca-ona-hts festival-hi festival-mr festival-te
  # tests and benchmarks
  # the reference decoders of the audio tests and of lector-decode (tests/unit/audio_decode.h)
  libmpg123-dev libopusfile-dev libogg-dev
  python3 sox python3-fastapi python3-uvicorn python3-requests python3-websockets gnuplot-nox wrk
  # the intelligibility check in tests/e2e/test_engines.py (pocketsphinx_continuous, en-us model)
  pocketsphinx pocketsphinx-en-us
)
# Node.js runs the openai SDK test (and the browser test). The machine image may carry its own
# Node.js (with npm); Debian's npm conflicts with it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [[ "${LECTOR_BROWSER_TESTS:-1}" == 1 ]]; then
  packages+=(chromium)
fi

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
