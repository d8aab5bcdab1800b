#!/usr/bin/env bash
# Prefill and generation speed of the dispatching CPU build (one module per CPU generation, the
# best picked at load) against a -march=native build of the same source, on this machine, through
# the same llava4j CLI jar: runs alternate between the two; the medians, the best runs (least
# disturbed by other load on the machine) and their ratios are printed.
#
#   scripts/bench/cpu-dispatch.sh LM.gguf [RUNS] [THREADS]
#
#   AGAINST=avx2   compare with a --cpu avx2 build instead of --cpu native (any build.sh --cpu level)
#   VARIANTS="x64 sse42 haswell"   offer the dispatching build only these CPU modules, e.g. to run
#                  it as an AVX2-only machine would (ggml then picks haswell)
#
# Needs `mvn -DskipTests package` (the dispatching natives in target/classes) and builds the native
# one with `native/build.sh --cpu native --no-tools` (cached). The prompt is ~500 tokens of text,
# 64 tokens are generated greedily.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lm=${1:?usage: cpu-dispatch.sh LM.gguf [RUNS] [THREADS]}
runs=${2:-3}
threads=${3:-$(nproc)}
jar="$root/target/llava4j-cli.jar"
platform=linux-x86_64
dispatch="$root/target/classes/io/llava4j/nativeio/$platform"
[[ -f "$dispatch/libjnillava4j.so" && -f "$jar" ]] || { echo "run mvn -DskipTests package first" >&2; exit 1; }
grep -qx "cpu=dispatch" "$root/target/native/build-info.txt" || { echo "target/native is not a dispatch build" >&2; exit 1; }

against=${AGAINST:-native}
prefix=$("$root/native/build.sh" --cpu "$against" --no-tools | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -n "${VARIANTS:-}" ]]; then
  mkdir -p "$work/dispatch"
  for f in "$dispatch"/*; do
    name=$(basename "$f")
    [[ "$name" == libggml-cpu-* || "$name" == backends.txt ]] || cp -P "$f" "$work/dispatch/"
  done
  for v in $VARIANTS; do cp "$dispatch/libggml-cpu-$v.so" "$work/dispatch/"; echo "libggml-cpu-$v.so" >> "$work/dispatch/backends.txt"; done
  dispatch="$work/dispatch"
fi
native="$work/native"
mkdir -p "$native"
cp "$dispatch/libjnillava4j.so" "$native/"
cp -P "$prefix"/lib/*.so* "$native/"
grep -m1 '^cpu-features=' "$prefix/build-info.txt" >&2

prompt=$(for i in $(seq 1 12); do printf 'The quick brown fox jumps over the lazy dog near the riverbank while the sun sets behind the distant hills, and the village bells ring softly. '; done)

run() { # name dir -> "prefill_tok_s gen_tok_s"
  local err="$work/$1.err"
  java -Dllava4j.library.path="$2" -jar "$jar" run -m "$lm" -p "$prompt" --temp 0 -n 64 -t "$threads" \
      --gpu-layers 0 > /dev/null 2> "$err"
  local stats
  stats=$(grep -a 'tok/s' "$err" | tail -n 1)
  local variant
  variant=$(grep -ao 'ggml backends: .*;' "$err" | head -n 1)
  echo "$1: $variant $stats" >&2
  echo "$stats" | sed -E 's/.*prompt ([0-9]+) positions in [0-9]+ ms \(([0-9.]+)\/s\).*generated ([0-9]+) tokens in [0-9]+ ms \(([0-9.]+) tok\/s\).*/\2 \4/'
}

: > "$work/dispatch.txt"; : > "$work/native.txt"
for i in $(seq 1 "$runs"); do
  run dispatch "$dispatch" >> "$work/dispatch.txt"
  run "$against" "$native" >> "$work/native.txt"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
best() { sort -n | tail -n 1; }
for stat in median best; do
  dp=$(cut -d' ' -f1 "$work/dispatch.txt" | $stat); dg=$(cut -d' ' -f2 "$work/dispatch.txt" | $stat)
  np=$(cut -d' ' -f1 "$work/native.txt" | $stat); ng=$(cut -d' ' -f2 "$work/native.txt" | $stat)
  printf '%-6s prefill  tok/s: dispatch %8.2f  %s %8.2f  ratio %.3f\n' "$stat" "$dp" "$against" "$np" "$(echo "$dp / $np" | bc -l)"
  printf '%-6s generate tok/s: dispatch %8.2f  %s %8.2f  ratio %.3f\n' "$stat" "$dg" "$against" "$ng" "$(echo "$dg / $ng" | bc -l)"
done
echo "runs: $runs each, alternating; threads: $threads; dispatch modules: ${VARIANTS:-all}"
