#!/usr/bin/env bash
# Builds llava4j's CUDA backend on an NVIDIA machine and checks it, from a kit made by
# scripts/gpu/make-kit.sh (the machine needs nvcc, cuBLAS and g++, no JDK, Maven or network):
#   1. native/build.sh --backend cuda from the kit's pinned llama.cpp source (patched there);
#   2. the jar's natives plus the CUDA backend module (libggml-cuda.so) in one directory: the JNI
#      library and llama.cpp's shared libraries are the CPU build's, the module is loaded at run time;
#   3. parity: greedy output of the built-in demo pair with every layer and the mmproj on the GPU
#      equals the CPU's (the same library with -ngl 0, and the AVX2 CPU build);
#   4. speed: a LLaVA-1.5-7B-shaped pair (random weights, LM quantized to Q4_K_M, CLIP-L/336 F16)
#      with everything on the GPU, llava4j and llama.cpp's llama-mtmd-cli side by side.
#
#   scripts/gpu/check.sh KIT_DIR WORK_DIR RESULT_DIR [SECONDS]
#
# RESULT_DIR/summary.txt holds every figure and the error text of any step that failed (put it
# first among the files to bring back). Resumable: steps already done in WORK_DIR are skipped, so a second run on the same machine goes
# on where a first one ran out of time. SECONDS (default 540) is the budget: the script stops
# between steps when it would overrun it, leaving what it has in RESULT_DIR/summary.txt.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit=$(cd "${1:?usage: check.sh KIT_DIR WORK_DIR RESULT_DIR [SECONDS]}" && pwd)
mkdir -p "$2" "$3"
work=$(cd "$2" && pwd); out=$(cd "$3" && pwd)
budget=${4:-540}
start=$(date +%s)
summary="$out/summary.txt"
say() { echo "[$(($(date +%s) - start))s] $*" | tee -a "$summary" >&2; }
left() { echo $((budget - ($(date +%s) - start))); }
need() { (( $(left) > $1 )) || { say "stopping: $(left) s left, the next step needs about $1 s"; exit 0; }; }

say "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(nvidia-smi -L 2>&1 | head -n 1)"
say "nvcc: $(nvcc --version | tail -n 1)"
threads=$(nproc)

# --- the kit --------------------------------------------------------------------------------------
if [[ ! -x "$work/jre/bin/java" ]]; then
  tar -C "$work" -xzf "$kit/jre.tgz"
  tar -C "$work" -xzf "$kit/llama.cpp.tgz"
fi
if [[ ! -f "$work/jni/cpu/libjnillava4j.so" ]]; then
  mkdir -p "$work/jni/unpack" "$work/jni/cpu"
  (cd "$work/jni/unpack" && "$work/jre/bin/jar" -xf "$kit/llava4j-cli.jar" io/llava4j/nativeio/linux-x86_64)
  cp -a "$work/jni/unpack/io/llava4j/nativeio/linux-x86_64/." "$work/jni/cpu/"
fi
java="$work/jre/bin/java"
jar="$kit/llava4j-cli.jar"
llava() { local lib=$1; shift; "$java" -Xss4m -Dllava4j.library.path="$lib" -jar "$jar" "$@"; }

# --- cuBLAS: inside the toolkit, or beside it as NVIDIA's Python wheels ship it ----------------------
search() { for d in /usr/local/cuda/ /usr/local/cuda-*/ /opt/ /usr/lib/ /usr/local/lib/; do find "$d" "$@" 2>/dev/null; done | head -n 1; }
cudart_dir=$(dirname "$(search -name 'libcudart.so*')")
cublas_lib=$(search -name 'libcublas.so*' -not -name '*Lt*')
cublas_dir=$(dirname "$cublas_lib")
cublas_inc=$(dirname "$(find "$cublas_dir/.." /usr/local/cuda/ -name 'cublas_v2.h' 2>/dev/null | head -n 1)")
cuda_stub=$(find /usr/local/cuda/ /usr/local/cuda-*/ -path '*stubs*' -name 'libcuda.so' 2>/dev/null | head -n 1)
say "cudart in $cudart_dir; cuBLAS $cublas_lib (headers $cublas_inc); driver stub $cuda_stub"
export LD_LIBRARY_PATH="$cublas_dir:$cudart_dir:/usr/local/nvidia/lib64:/usr/local/nvidia/lib:${LD_LIBRARY_PATH:-}"
lt=$(ls "$cublas_dir"/libcublasLt.so* | head -n 1)
export LLAVA4J_CMAKE_ARGS="-DCUDA_cublas_LIBRARY=$cublas_lib -DCUDA_cublasLt_LIBRARY=$lt -DCMAKE_CUDA_FLAGS=-I$cublas_inc -DCMAKE_CXX_FLAGS=-I$cublas_inc"

# --- 1. the CUDA build, in the background -----------------------------------------------------------
build_log="$out/native-build.txt"
if [[ ! -e "$work/native/.complete" ]]; then
  say "building the CUDA backend (sm_${CUDA_ARCHITECTURES:-90}) with $threads jobs"
  ( LLAVA4J_CACHE="$work/cache" LLAVA4J_LLAMA_CPP_DIR="$work/llama.cpp" CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES:-90} \
      LLAVA4J_JOBS=$threads "$root/native/build.sh" --backend cuda --cpu native --link "$work/native" > "$build_log" 2>&1
    echo "exit $?" >> "$build_log" ) &
  build_pid=$!
fi

# --- 4a. the 7B-shaped pair, while the build runs -----------------------------------------------------
m7b="$work/m7b"
if [[ ! -f "$m7b/lm-q4_k_m.gguf" ]]; then
  if [[ ! -f "$m7b/mmproj.gguf" ]]; then
    say "writing the LLaVA-1.5-7B-shaped pair (F16, random weights)"
    "$java" -cp "$jar:$kit/test-classes.jar" -Dllava4j.native.dir="$work" io.llava4j.testmodels.TinyModels "$m7b" 1 7b \
      >> "$out/models.txt" 2>&1 || say "writing the 7B pair failed: $(tail -n 3 "$out/models.txt")"
  fi
  say "quantizing its LM to Q4_K_M (AVX2 CPU build)"
  llava "$work/jni/cpu" quantize "$m7b/lm.gguf" "$m7b/lm-q4_k_m.gguf.tmp" Q4_K_M >> "$out/models.txt" 2>&1 \
    && mv "$m7b/lm-q4_k_m.gguf.tmp" "$m7b/lm-q4_k_m.gguf" && rm -f "$m7b/lm.gguf" \
    || say "quantize failed: $(tail -n 3 "$out/models.txt")"
  say "models: $(ls -la "$m7b" | tail -n +2 | awk '{print $5, $9}' | tr '\n' ' ')"
fi

if [[ -n "${build_pid:-}" ]]; then
  while kill -0 "$build_pid" 2>/dev/null; do
    if (( $(left) < 20 )); then
      say "the build is still running ($(grep -aoE '^\[ *[0-9]+%\]' "$work"/cache/logs/*.log 2>/dev/null | tail -n 1)); run again to go on"
      kill -- -"$build_pid" 2>/dev/null; pkill -P "$build_pid" 2>/dev/null
      exit 0
    fi
    sleep 5
  done
  say "build: $(tail -n 1 "$build_log")"
fi
[[ -e "$work/native/.complete" ]] || { say "no CUDA build: $(tail -n 30 "$build_log")"; cp "$work"/cache/logs/*.log "$out/" 2>/dev/null; exit 0; }
say "build info: $(grep -v '^flag' "$work/native/build-info.txt" | tr '\n' ' ')"

# --- 2. the natives with the CUDA module --------------------------------------------------------------
if [[ ! -f "$work/jni/cuda/libggml-cuda.so" ]]; then
  mkdir -p "$work/jni/cuda"
  cp -a "$work/jni/cpu/." "$work/jni/cuda/"
  cp "$work/native/lib/libggml-cuda.so" "$work/jni/cuda/" || { say "the CUDA build has no libggml-cuda.so"; exit 0; }
  echo libggml-cuda.so >> "$work/jni/cuda/backends.txt"
  say "CUDA module: $(du -h "$work/jni/cuda/libggml-cuda.so" | cut -f1); $(ldd "$work/jni/cuda/libggml-cuda.so" | grep -E 'cuda|cublas|not found' | tr -s ' \t' ' ' | tr '\n' ';')"
  llava "$work/jni/cuda" info --system > "$out/system-cuda.txt" 2>&1; say "info --system: $(grep -E 'CUDA|variant' "$out/system-cuda.txt" | tr -s ' ' | tr '\n' ';')"
fi

# --- 3. parity on the demo pair ----------------------------------------------------------------------
need 60
parity() { # name lib -ngl
  llava "$2" run --temp 0 -n 48 -ngl "$3" -t "$threads" > "$out/parity-$1.txt" 2> "$out/parity-$1.err"
  say "parity $1: exit $?, $(wc -c < "$out/parity-$1.txt") bytes; $(grep -aE 'tok/s|evaluated' "$out/parity-$1.err" | tail -n 1)"
}
parity cpu-avx2 "$work/jni/cpu" 0
parity cuda-ngl0 "$work/jni/cuda" 0
parity cuda-gpu "$work/jni/cuda" 99
for v in cuda-ngl0 cuda-gpu; do
  if cmp -s "$out/parity-cpu-avx2.txt" "$out/parity-$v.txt"; then say "parity: $v output equals the CPU build's"
  else say "parity: $v output DIFFERS from the CPU build's: $(head -c 200 "$out/parity-$v.txt") / $(head -c 200 "$out/parity-cpu-avx2.txt")"; fi
done

# --- 4b. speed --------------------------------------------------------------------------------------
need 60
image="$work/llama.cpp/tools/mtmd/test-1.jpeg"
prompt="Describe the image in detail."
for i in 1 2 3; do
  need 30
  llava "$work/jni/cuda" run -m "$m7b/lm-q4_k_m.gguf" --mmproj "$m7b/mmproj.gguf" --image "$image" -p "$prompt" \
      --temp 0 -n 128 -ngl 99 -t "$threads" > "$out/speed-llava4j-$i.txt" 2> "$out/speed-llava4j-$i.err"
  say "llava4j 7B Q4_K_M on the GPU, run $i: $(grep -aE 'tok/s' "$out/speed-llava4j-$i.err" | tail -n 1 || true)"
  grep -qaE 'tok/s' "$out/speed-llava4j-$i.err" || say "llava4j failed: $(grep -av DEBUG "$out/speed-llava4j-$i.err" | tail -n 15)"
  need 30
  "$work/native/bin/llama-mtmd-cli" -m "$m7b/lm-q4_k_m.gguf" --mmproj "$m7b/mmproj.gguf" --image "$image" -p "$prompt" \
      --temp 0 -n 128 -ngl 99 -t "$threads" --chat-template vicuna > "$out/speed-mtmd-$i.txt" 2> "$out/speed-mtmd-$i.err"
  say "llama-mtmd-cli 7B Q4_K_M on the GPU, run $i: $(grep -aE 'image slice encoded|image decoded|prompt eval time|eval time|load time' "$out/speed-mtmd-$i.err" | tr -s ' ' | tr '\n' ';')"
  grep -qaE 'eval time' "$out/speed-mtmd-$i.err" || say "llama-mtmd-cli failed: $(tail -n 15 "$out/speed-mtmd-$i.err")"
done
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv >> "$summary" 2>&1
say "done"
