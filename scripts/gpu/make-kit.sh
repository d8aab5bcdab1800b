#!/usr/bin/env bash
# Packs what scripts/gpu/check.sh needs on a GPU machine that has nvcc and cuBLAS but no JDK, Maven
# or network: the pinned llama.cpp source (unpatched: native/fetch.sh patches it there), a jlinked
# Java runtime, the CLI jar (with its CPU natives: the GPU machine adds only the CUDA backend
# module, libggml-cuda.so, beside them) and the test classes (for the benchmark model writer).
#
#   scripts/gpu/make-kit.sh KIT_DIR
#
# Run after `mvn -DskipTests package`; KIT_DIR stays under 64 MiB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit=${1:?usage: make-kit.sh KIT_DIR}
mkdir -p "$kit" && kit=$(cd "$kit" && pwd)
log() { echo "[gpu kit] $*" >&2; }
cd "$root"

native=$(readlink -f target/native)
src=$(readlink -f "$native/llama.cpp")
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")

log "llama.cpp source (pinned commit, unpatched, CPU and CUDA backends only)"
git -C "$src" archive --format=tar --prefix=llama.cpp/ HEAD CMakeLists.txt cmake common include src vendor \
    licenses LICENSE ggml/CMakeLists.txt ggml/cmake ggml/include ggml/src/CMakeLists.txt ggml/src/*.c \
    ggml/src/*.cpp ggml/src/*.h ggml/src/*.in ggml/src/ggml-cpu ggml/src/ggml-cuda ggml/src/ggml-rpc tools \
    ':!tools/ui' ':!tools/server' models/ggml-vocab-llama-spm.gguf | gzip -9 > "$kit/llama.cpp.tgz"

log "Java runtime"
rm -rf "$kit/jre.tmp"
"$jdk/bin/jlink" --add-modules java.base,java.desktop,java.management,java.net.http,java.sql,jdk.unsupported,java.logging,jdk.crypto.ec,jdk.zipfs \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$kit/jre.tmp/jre"
tar -C "$kit/jre.tmp" -czf "$kit/jre.tgz" jre && rm -rf "$kit/jre.tmp"

log "CLI jar and test classes"
cp target/llava4j-cli.jar "$kit/llava4j-cli.jar"
(cd target/test-classes && zip -q -r "$kit/test-classes.jar" io)

du -sh "$kit"
ls -la "$kit"
