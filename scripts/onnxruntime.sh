#!/usr/bin/env bash
# Fetches ONNX Runtime (MIT, Microsoft) for building and testing the neural engines: its C
# header, which the build compiles src/engine/neural/onnx_runtime.cpp against, and Microsoft's
# official linux-x64 libonnxruntime.so.1, which the tests load. Lector never links it: the
# neural workers dlopen it at run time (--onnxruntime PATH), and the .deb does not ship it.
#
#   scripts/onnxruntime.sh [DEST]    DEST: default third_party/onnxruntime (git-ignored)
#
# Debian 12 has no ONNX Runtime, and Microsoft's npm package carries no C header, hence two
# pinned packages from the npm registry (the runtime from Microsoft's own):
#   onnxruntime-node 1.30.0             bin/napi-v6/linux/x64/libonnxruntime.so.1 (Microsoft's
#                                       release build; needs only glibc and libstdc++)
#   com.github.asus4.onnxruntime 0.4.9  Microsoft's C headers (ORT_API_VERSION 29), in its iOS
#                                       framework; the 143 MiB tarball is deleted once the
#                                       headers are out
# A header of API 29 works with any runtime from 1.29 on (GetApi(29)). Each tarball's sha512 is
# checked against the value pinned here before anything is extracted. A no-op when DEST already
# holds this version.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-third_party/onnxruntime}

runtime_pkg=onnxruntime-node@1.30.0
# sha512 of each tarball, in hex (npm's "integrity" for it is the same digest in base64)
runtime_sha512=b7086cd42d82fc1164cf5c9ce4e634288536194aba0d444eee10f86f1e50d90cb79c0309c115d6f31537355733136f5503d96894b3987a9a03f1f8d318e7c8ab
runtime_file=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
header_pkg=com.github.asus4.onnxruntime@0.4.9
header_sha512=064cf176e499f4891e0cfe90f25cf64c553689eee1492bd2ed921fccca28131a2ad02373267bae19a509ec8b288c182a3b8a2e0f58d76a1f0e63225b08ddbd16
header_dir='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
stamp="$runtime_pkg $header_pkg"

if [[ -f $dest/include/onnxruntime_c_api.h && -f $dest/lib/libonnxruntime.so.1 &&
      "$(cat "$dest/VERSION" 2>/dev/null)" == "$stamp" ]]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "onnxruntime.sh: npm is missing (scripts/deps.sh build installs it); the neural engines" \
       "will be built without ONNX Runtime and report themselves unavailable" >&2
  exit 0
fi
if [[ $(uname -s -m) != "Linux x86_64" ]]; then
  echo "onnxruntime.sh: the pinned runtime is linux-x64 only; fetching the header alone" >&2
  runtime_pkg=
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# npm pack into a private cache, so that the large tarball does not stay in ~/.npm either.
fetch() {  # PACKAGE SHA512 -> prints the tarball's path
  local file
  file=$(cd "$work" && npm pack "$1" --cache "$work/cache" --silent --no-audit --no-fund | tail -n 1)
  local got
  got=$(sha512sum "$work/$file" | cut -d ' ' -f 1)
  if [[ $got != "$2" ]]; then
    echo "onnxruntime.sh: $1: sha512 $got, expected $2" >&2
    exit 1
  fi
  echo "$work/$file"
}

echo "== ONNX Runtime: $header_pkg (C header)${runtime_pkg:+, $runtime_pkg (libonnxruntime.so.1)}"
mkdir -p "$work/x" "$dest/include" "$dest/lib"
tarball=$(fetch "$header_pkg" "$header_sha512")
tar -xzf "$tarball" -C "$work/x" --wildcards "$header_dir/*.h"
rm -f "$tarball"
cp "$work/x/$header_dir"/onnxruntime_*.h "$dest/include/"
if [[ -n $runtime_pkg ]]; then
  tarball=$(fetch "$runtime_pkg" "$runtime_sha512")
  tar -xzf "$tarball" -C "$work/x" "$runtime_file"
  cp "$work/x/$runtime_file" "$dest/lib/libonnxruntime.so.1"
  tar -xzf "$tarball" -C "$work/x" package/LICENSE 2>/dev/null &&
    cp "$work/x/package/LICENSE" "$dest/LICENSE"
fi
echo "$stamp" >"$dest/VERSION"
