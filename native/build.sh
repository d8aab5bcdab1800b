#!/usr/bin/env bash
# Builds the native part of llava4j and prints its install prefix (include/, lib/, bin/), or links
# it with --link.
#
#   native/build.sh [--backend cpu|cuda|metal] [--cpu ISA] [--no-tools] [--verbose] [--link DIR]
#
# llama.cpp is built as shared libraries (libggml-base, libggml, libllama, libmtmd) whose backends
# are modules loaded at run time (GGML_BACKEND_DL): libggml-cpu-*.so, and libggml-cuda.so /
# libggml-rpc.so where built. The JNI library links the four libraries only, so one set of them
# serves every backend: a CUDA build adds a module, never another JNI library.
#
#   --backend   cpu (default), cuda (needs nvcc; CUDA_ARCHITECTURES env, default "native"), metal (macOS)
#   --cpu ISA   the instruction sets ggml's CPU kernels are compiled for:
#                 dispatch (default) one module per CPU generation (upstream's GGML_CPU_ALL_VARIANTS:
#                         x86-64 baseline, SSE4.2, AVX, AVX2, AVX-512 variants, AMX, ...); ggml scores
#                         them against the running CPU at load and keeps the best: runs anywhere,
#                         never SIGILL. What a jar for other machines must hold.
#                 native  whatever the building CPU has (-march=native), one module: for yourself
#                 sse42   SSE4.2 only (x86-64-v2)
#                 avx     + AVX
#                 avx2    + AVX2, FMA, F16C, BMI2 (x86-64-v3; what --portable gave before)
#                 avx512  + AVX-512 F/CD/VL/DQ/BW, VBMI, VNNI, BF16
#               ggml takes other code paths under each (e.g. 16- instead of 8-wide f32 vectors), so
#               the test suite can be run against two builds of one machine: -Dllava4j.cpu=avx2
#   --portable  the same as --cpu avx2
#   --no-tools  skip llama.cpp's reference tools (llama-completion, llama-mtmd-cli, llama-tokenize,
#               llama-quantize, ggml-rpc-server, llama-server)
#               that the parity tests compare against
#   --verbose   show the whole CMake and compiler output (default: a log file and a progress line)
#   --link DIR  make DIR a symlink to the prefix (Maven links target/native)
#
# LLAVA4J_CMAKE_ARGS adds CMake arguments (part of the cache key), e.g. where cuBLAS lives when it is
# not inside the CUDA toolkit: "-DCUDA_cublas_LIBRARY=... -DCUDA_cublasLt_LIBRARY=... -DCMAKE_CUDA_FLAGS=-I..."
#
# The prefix lives in ${LLAVA4J_CACHE:-~/.cache/llava4j}/native/, keyed by the pinned source, the
# patches, this script, the shim, the flags and, for --cpu native, the building CPU's feature flags
# (so a cache in a shared home directory is never reused on a CPU that lacks those instructions): a
# rebuild with nothing changed costs seconds.
set -euo pipefail
# macOS has shasum instead of sha256sum, and no flock(1) (builds there are not serialised).
command -v sha256sum >/dev/null || sha256sum() { shasum -a 256 "$@"; }
command -v flock >/dev/null || flock() { :; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${LLAVA4J_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llava4j}

backend=${LLAVA4J_BACKEND:-cpu}; cpu=dispatch; tools=1; link=""; verbose=${LLAVA4J_NATIVE_VERBOSE:-false}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --backend) backend=$2; shift 2;;
    --backend=*) backend=${1#*=}; shift;;
    --cpu) cpu=$2; shift 2;;
    --cpu=*) cpu=${1#*=}; shift;;
    --portable) cpu=avx2; shift;;
    --no-tools) tools=0; shift;;
    --verbose) verbose=true; shift;;
    --verbose=*) verbose=${1#*=}; shift;;
    --link) link=$2; shift 2;;
    *) echo "native/build.sh: unknown argument $1" >&2; exit 2;;
  esac
done

log() { echo "[llava4j native] $*" >&2; }
die() { echo "[llava4j native] error: $*" >&2; exit 1; }

# The building CPU's feature flags, sorted: part of the cache key of a --cpu native build.
cpu_features() {
  if [[ -r /proc/cpuinfo ]]; then
    grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '
  elif [[ "$(uname)" == Darwin ]]; then
    sysctl -n machdep.cpu.brand_string machdep.cpu.features machdep.cpu.leaf7_features 2>/dev/null || true
    sysctl hw.optional 2>/dev/null | grep ': 1' || true
  fi
  uname -m
}
# The instruction-set flags among them (what -march=native may use), for build-info.txt.
isa_features() {
  cpu_features | tr ' ' '\n' \
    | grep -E '^(sse[0-9_a-z]*|ssse3|pni|avx[0-9_a-z]*|fma|f16c|bmi[12]|amx[_a-z0-9]*|popcnt|abm|movbe|adx|gfni|vaes|vpclmulqdq|aes|pclmulqdq|sha_ni)$' \
    | tr '\n' ' ' | sed 's/ $//'
}

flags=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DGGML_RPC=ON
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_MTMD=ON -DMTMD_VIDEO=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_SUBPROCESS=OFF
  -DLLAMA_BUILD_COMMON=$([[ $tools == 1 ]] && echo ON || echo OFF)
  -DLLAMA_BUILD_TOOLS=$([[ $tools == 1 ]] && echo ON || echo OFF)
  # llama-server is a reference tool too (bench's concurrent streams); its web UI is neither built
  # (npm) nor downloaded (Hugging Face): it serves the API only.
  -DLLAMA_BUILD_SERVER=$([[ $tools == 1 ]] && echo ON || echo OFF) -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
)
isa() { # GGML_* switches for an x86-64 level; every one named, so nothing depends on ggml's defaults
  local sse42=$1 avx=$2 avx2=$3 avx512=$4
  flags+=(-DGGML_NATIVE=OFF -DGGML_SSE42=$sse42 -DGGML_AVX=$avx -DGGML_AVX2=$avx2 -DGGML_FMA=$avx2
          -DGGML_F16C=$avx2 -DGGML_BMI2=$avx2 -DGGML_AVX_VNNI=OFF -DGGML_AVX512=$avx512
          -DGGML_AVX512_VBMI=$avx512 -DGGML_AVX512_VNNI=$avx512 -DGGML_AVX512_BF16=$avx512
          -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
}
case "$cpu" in
  dispatch) flags+=(-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=ON);;
  native)
    if [[ "$(uname -m)" == x86_64 ]]; then
      # GGML_NATIVE cannot be combined with backend modules on x86 (ggml's feature check needs the
      # switches): name every instruction set this CPU has, and compile for it with -march=native.
      have=" $(cpu_features) "
      on() { for f in "$@"; do [[ "$have" == *" $f "* ]] || { echo OFF; return; }; done; echo ON; }
      flags+=(-DGGML_NATIVE=OFF -DGGML_SSE42=$(on sse4_2) -DGGML_AVX=$(on avx) -DGGML_AVX2=$(on avx2)
              -DGGML_FMA=$(on fma) -DGGML_F16C=$(on f16c) -DGGML_BMI2=$(on bmi2) -DGGML_AVX_VNNI=$(on avx_vnni)
              -DGGML_AVX512=$(on avx512f avx512cd avx512vl avx512dq avx512bw) -DGGML_AVX512_VBMI=$(on avx512vbmi)
              -DGGML_AVX512_VNNI=$(on avx512_vnni) -DGGML_AVX512_BF16=$(on avx512_bf16)
              -DGGML_AMX_TILE=$(on amx_tile) -DGGML_AMX_INT8=$(on amx_int8) -DGGML_AMX_BF16=$(on amx_bf16)
              "-DCMAKE_C_FLAGS=-march=native" "-DCMAKE_CXX_FLAGS=-march=native")
    else
      flags+=(-DGGML_NATIVE=ON)
    fi;;
  sse42)  isa ON OFF OFF OFF;;
  avx)    isa ON ON OFF OFF;;
  avx2)   isa ON ON ON OFF;;
  avx512) isa ON ON ON ON;;
  *)      die "unknown --cpu '$cpu' (dispatch, native, sse42, avx, avx2, avx512)";;
esac
# The CPU flags a build needs at run time (io.llava4j.nativeio checks them before loading, instead of
# dying of SIGILL on a CPU without them); "native" stands for the building CPU's own set.
case "$cpu" in
  dispatch) required="";;
  native) required=native;;
  sse42)  required="sse4_2";;
  avx)    required="sse4_2 avx";;
  avx2)   required="sse4_2 avx avx2 fma f16c bmi2";;
  avx512) required="sse4_2 avx avx2 fma f16c bmi2 avx512f avx512cd avx512vl avx512dq avx512bw avx512vbmi avx512_vnni avx512_bf16";;
esac
if [[ "$required" != native && -n "$required" && -r /proc/cpuinfo && "$(uname -m)" == x86_64 ]]; then
  have=" $(cpu_features) "
  for f in $required; do
    [[ "$have" == *" $f "* ]] || log "warning: this CPU lacks $f: a --cpu $cpu build will not load here"
  done
fi
case "$backend" in
  cpu)   flags+=(-DGGML_CUDA=OFF -DGGML_METAL=OFF);;
  cuda)  flags+=(-DGGML_CUDA=ON -DGGML_CUDA_NCCL=OFF -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-native}");;
  metal) [[ "$(uname)" == Darwin ]] || { echo "native/build.sh: the metal backend builds on macOS only" >&2; exit 2; }
         flags+=(-DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON -DGGML_BLAS=ON -DGGML_BLAS_VENDOR=Apple);;
  *)     echo "native/build.sh: unknown backend '$backend' (cpu, cuda, metal)" >&2; exit 2;;
esac

if [[ -n "${LLAVA4J_CMAKE_ARGS:-}" ]]; then read -r -a extra <<<"$LLAVA4J_CMAKE_ARGS"; flags+=("${extra[@]}"); fi

src=$("$here/fetch.sh" | tail -n 1)
compiler=$( { c++ --version 2>/dev/null | head -n 1; [[ $backend == cuda ]] && nvcc --version | tail -n 1 || true; } )
# What the object files depend on besides the source: flags, compiler, and for -march=native the CPU.
target=$( { printf '%s\n' "${flags[@]}"; echo "$compiler"; uname -sm; if [[ $cpu == native ]]; then cpu_features; fi; } )
key=$( { cat "$here/llama.cpp.pin" "$here/CMakeLists.txt" "$here/build.sh" "$root"/src/main/cpp/*;
         echo "$src"; cat "$src/.llava4j-ready"; echo "$target"; } | sha256sum | cut -c1-16)
prefix="$cache/native/$backend-$cpu-$key"

if [[ ! -f "$prefix/.complete" ]]; then
  exec 9>"$cache/native.lock"; flock 9
fi
if [[ ! -f "$prefix/.complete" ]]; then
  # The build tree is keyed by source and flags only, so a change to the shim rebuilds just the shim.
  build="$cache/build/$backend-$cpu-$( { echo "$src"; echo "$target"; } | sha256sum | cut -c1-12)"
  jobs=${LLAVA4J_JOBS:-$(nproc 2>/dev/null || sysctl -n hw.ncpu)}
  mkdir -p "$cache/logs"
  buildlog="$cache/logs/build-$backend-$cpu-$key.log"
  log "building llama.cpp ($backend, cpu=$cpu, tools=$tools) with $jobs jobs, once: it is cached afterwards"
  log "full log: $buildlog"
  targets=(llava4j-shim mtmd llama ggml)
  [[ $tools == 1 ]] && targets+=(llama-completion llama-mtmd-cli llama-tokenize llama-quantize ggml-rpc-server llama-server)
  # CMake ties a build tree to its source directory, and every checkout of llava4j shares this cache:
  # the tree is configured from copies of native/CMakeLists.txt and the shim beside it, updated only
  # when their content changes (so another checkout, or a shim edit, rebuilds just what changed).
  stage="$build.src"
  mkdir -p "$stage/cpp"
  update() { cmp -s "$1" "$2" || cp "$1" "$2"; }
  update "$here/CMakeLists.txt" "$stage/CMakeLists.txt"
  for f in "$root"/src/main/cpp/*; do update "$f" "$stage/cpp/$(basename "$f")"; done
  if [[ -f "$build/CMakeCache.txt" ]] && ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$stage" "$build/CMakeCache.txt"; then
    log "the build tree $build was configured elsewhere: starting it afresh"
    rm -rf "$build"
  fi
  run_build() {
    cmake -S "$stage" -B "$build" -DLLAMA_CPP_DIR="$src" -DLLAVA4J_SHIM_DIR="$stage/cpp" "${flags[@]}" \
      && cmake --build "$build" --config Release -j "$jobs" --target "${targets[@]}"
  }
  if [[ $verbose == true ]]; then
    set +e; run_build 2>&1 | tee "$buildlog" >&2; status=${PIPESTATUS[0]}; set -e
  else
    set +e; run_build > "$buildlog" 2>&1 & pid=$!; set -e
    "$here/progress.sh" "$buildlog" "$pid"
    set +e; wait "$pid"; status=$?; set -e
  fi
  if [[ $status != 0 ]]; then
    echo "[llava4j native] the build failed (exit $status); the last lines of $buildlog:" >&2
    tail -n 40 "$buildlog" >&2
    die "native build failed; the whole log is $buildlog (rerun with -Dllava4j.native.verbose=true to see it stream)"
  fi

  rm -rf "$prefix.tmp"; mkdir -p "$prefix.tmp/lib" "$prefix.tmp/include" "$prefix.tmp/bin"
  find "$build" -name '*.a' -exec cp {} "$prefix.tmp/lib/" \;
  # lib/: the shared libraries (with their soname links) and the backend modules, side by side.
  shopt -s nullglob
  for f in "$build"/bin/libggml*.so* "$build"/bin/libllama*.so* "$build"/bin/libmtmd*.so* \
           "$build"/bin/libggml*.dylib "$build"/bin/libllama*.dylib "$build"/bin/libmtmd*.dylib; do
    cp -P "$f" "$prefix.tmp/lib/"
  done
  shopt -u nullglob
  (cd "$prefix.tmp/lib" && ls libggml-*.so 2>/dev/null | grep -v '^libggml-base\.so' > backends.txt || true)
  cp "$src/include/llama.h" "$src"/ggml/include/*.h "$src/tools/mtmd/mtmd.h" "$root/src/main/cpp/llava4j_shim.h" "$prefix.tmp/include/"
  if [[ $tools == 1 ]]; then
    # bin/: the reference tools; they find the libraries ($ORIGIN rpath) and the backend modules
    # (ggml looks beside the executable) through links to lib/.
    cp "$build"/bin/llama-completion "$build"/bin/llama-mtmd-cli "$build"/bin/llama-tokenize "$build"/bin/llama-quantize \
       "$build"/bin/ggml-rpc-server "$build"/bin/llama-server "$prefix.tmp/bin/"
    for f in "$prefix.tmp"/lib/*.so*; do ln -s "../lib/$(basename "$f")" "$prefix.tmp/bin/$(basename "$f")"; done
  fi
  ln -s "$src" "$prefix.tmp/llama.cpp"
  { echo "backend=$backend"; echo "cpu=$cpu"; echo "tools=$tools"; echo "source=$src";
    echo "commit=$(cat "$src/.llava4j-ready")"; echo "compiler=$compiler"; printf 'flag=%s\n' "${flags[@]}";
    if [[ $cpu == native ]]; then echo "cpu-features=$(isa_features)"; else echo "cpu-features=$required"; fi
    echo "backends=$(tr '\n' ' ' < "$prefix.tmp/lib/backends.txt" | sed 's/ $//')"
  } > "$prefix.tmp/build-info.txt"
  touch "$prefix.tmp/.complete"
  rm -rf "$prefix" && mv "$prefix.tmp" "$prefix"
  log "done: $prefix"
fi
# The prefix goes to stdout for scripts; with --link (Maven's call) the link says it, quietly.
if [[ -n "$link" ]]; then mkdir -p "$(dirname "$link")"; ln -sfn "$prefix" "$link"; else echo "$prefix"; fi
