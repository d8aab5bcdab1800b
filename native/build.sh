#!/usr/bin/env bash
# Builds the native part of llava4j and prints its install prefix (include/, lib/, bin/).
#
#   native/build.sh [--backend cpu|cuda|metal] [--portable] [--no-tools] [--link DIR]
#
#   --backend   cpu (default), cuda (needs nvcc; CUDA_ARCHITECTURES env, default "native"), metal (macOS)
#   --portable  no -march=native: a build that runs on any x86-64-v2/arm64 machine (for a distributed jar)
#   --no-tools  skip llama.cpp's reference tools (llama-completion, llama-mtmd-cli, llama-tokenize)
#               that the parity tests compare against
#   --link DIR  make DIR a symlink to the prefix (Maven links target/native)
#
# The prefix lives in ${LLAVA4J_CACHE:-~/.cache/llava4j}/native/, keyed by the pinned source, the
# patches, this script, the shim and the flags: a rebuild with nothing changed costs seconds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${LLAVA4J_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llava4j}

backend=${LLAVA4J_BACKEND:-cpu}; portable=0; tools=1; link=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --backend) backend=$2; shift 2;;
    --backend=*) backend=${1#*=}; shift;;
    --portable) portable=1; shift;;
    --no-tools) tools=0; shift;;
    --link) link=$2; shift 2;;
    *) echo "native/build.sh: unknown argument $1" >&2; exit 2;;
  esac
done

log() { echo "[llava4j native] $*" >&2; }

flags=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_MTMD=ON -DMTMD_VIDEO=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_SUBPROCESS=OFF
  -DLLAMA_BUILD_COMMON=$([[ $tools == 1 ]] && echo ON || echo OFF)
  -DLLAMA_BUILD_TOOLS=$([[ $tools == 1 ]] && echo ON || echo OFF)
)
if [[ $portable == 1 ]]; then flags+=(-DGGML_NATIVE=OFF); else flags+=(-DGGML_NATIVE=ON); fi
case "$backend" in
  cpu)   flags+=(-DGGML_CUDA=OFF -DGGML_METAL=OFF);;
  cuda)  flags+=(-DGGML_CUDA=ON -DGGML_CUDA_NCCL=OFF -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-native}");;
  metal) [[ "$(uname)" == Darwin ]] || { echo "native/build.sh: the metal backend builds on macOS only" >&2; exit 2; }
         flags+=(-DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON -DGGML_BLAS=ON -DGGML_BLAS_VENDOR=Apple);;
  *)     echo "native/build.sh: unknown backend '$backend' (cpu, cuda, metal)" >&2; exit 2;;
esac

src=$("$here/fetch.sh" | tail -n 1)
compiler=$( { c++ --version 2>/dev/null | head -n 1; [[ $backend == cuda ]] && nvcc --version | tail -n 1 || true; } )
key=$( { cat "$here/llama.cpp.pin" "$here/CMakeLists.txt" "$here/build.sh" "$root"/src/main/cpp/*;
         echo "$src"; cat "$src/.llava4j-ready"; printf '%s\n' "${flags[@]}"; echo "$compiler"; uname -sm; } \
       | sha256sum | cut -c1-16)
prefix="$cache/native/$backend-$key"

if [[ ! -f "$prefix/.complete" ]]; then
  exec 9>"$cache/native.lock"; flock 9
fi
if [[ ! -f "$prefix/.complete" ]]; then
  # The build tree is keyed by source and flags only, so a change to the shim rebuilds just the shim.
  build="$cache/build/$backend-$( { echo "$src"; printf '%s\n' "${flags[@]}"; echo "$compiler"; } | sha256sum | cut -c1-12)"
  jobs=${LLAVA4J_JOBS:-$(nproc 2>/dev/null || sysctl -n hw.ncpu)}
  log "building llama.cpp ($backend, tools=$tools, portable=$portable) in $build with $jobs jobs; cached afterwards"
  cmake -S "$here" -B "$build" -DLLAMA_CPP_DIR="$src" -DLLAVA4J_SHIM_DIR="$root/src/main/cpp" "${flags[@]}" >&2
  targets=(llava4j-shim mtmd llama ggml)
  [[ $tools == 1 ]] && targets+=(llama-completion llama-mtmd-cli llama-tokenize llama-quantize)
  cmake --build "$build" --config Release -j "$jobs" --target "${targets[@]}" >&2

  rm -rf "$prefix.tmp"; mkdir -p "$prefix.tmp/lib" "$prefix.tmp/include" "$prefix.tmp/bin"
  find "$build" -name '*.a' -exec cp {} "$prefix.tmp/lib/" \;
  cp "$src/include/llama.h" "$src"/ggml/include/*.h "$src/tools/mtmd/mtmd.h" "$root/src/main/cpp/llava4j_shim.h" "$prefix.tmp/include/"
  [[ $tools == 1 ]] && cp "$build"/bin/llama-completion "$build"/bin/llama-mtmd-cli "$build"/bin/llama-tokenize "$build"/bin/llama-quantize "$prefix.tmp/bin/"
  ln -s "$src" "$prefix.tmp/llama.cpp"
  { echo "backend=$backend"; echo "portable=$portable"; echo "tools=$tools"; echo "source=$src";
    echo "commit=$(cat "$src/.llava4j-ready")"; echo "compiler=$compiler"; printf 'flag=%s\n' "${flags[@]}"; } > "$prefix.tmp/build-info.txt"
  touch "$prefix.tmp/.complete"
  rm -rf "$prefix" && mv "$prefix.tmp" "$prefix"
  log "done: $prefix"
fi
if [[ -n "$link" ]]; then mkdir -p "$(dirname "$link")"; ln -sfn "$prefix" "$link"; fi
echo "$prefix"
