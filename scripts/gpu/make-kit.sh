#!/usr/bin/env bash
# Packs what scripts/gpu/check.sh needs on a GPU machine that has nvcc and cuBLAS but no JDK, Maven
# or network: the pinned llama.cpp source (unpatched: native/fetch.sh patches it there), a jlinked
# Java runtime, the CLI jar, the test classes (for the benchmark model writer), the JNI binding's
# object files, and an AVX2 CPU build of the binding (to quantize while the CUDA build runs).
#
#   scripts/gpu/make-kit.sh KIT_DIR
#
# Run after `mvn -DskipTests package` (and `native/build.sh --cpu avx2`); KIT_DIR stays under 64 MiB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit=${1:?usage: make-kit.sh KIT_DIR}
mkdir -p "$kit" && kit=$(cd "$kit" && pwd)
log() { echo "[gpu kit] $*" >&2; }
cd "$root"

native=$(readlink -f target/native)
src=$(readlink -f "$native/llama.cpp")
avx2=$(native/build.sh --cpu avx2 | tail -n 1)
javacpp=$(ls ~/.m2/repository/org/bytedeco/javacpp/*/javacpp-*.jar | grep -v sources | sort | tail -n 1)
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

log "CLI jar (without its JNI library) and test classes"
cp target/llava4j-cli.jar "$kit/llava4j-cli.jar"
zip -q -d "$kit/llava4j-cli.jar" 'io/llava4j/nativeio/linux-x86_64/*'
(cd target/test-classes && zip -q -r "$kit/test-classes.jar" io)

log "JNI binding: generated source, object files, AVX2 CPU library"
jni=$(mktemp -d)
java -jar "$javacpp" -cp target/classes -nocompile -nodelete -d "$jni" io.llava4j.nativeio.bindings.LlamaLib >/dev/null
flags=(-std=c++17 -O3 -fPIC -pthread -Wno-deprecated-declarations -Wno-int-to-pointer-cast -I"$native/include"
       -I"$jdk/include" -I"$jdk/include/linux")
for f in $(find "$jni" -name '*.cpp'); do g++ "${flags[@]}" -c "$f" -o "$jni/$(basename "${f%.cpp}").o"; done
tar -C "$jni" -czf "$kit/jni-objects.tgz" jnillava4j.o jnijavacpp.o
mkdir -p "$jni/cpu"
g++ -shared -o "$jni/cpu/libjnillava4j.so" "$jni/jnillava4j.o" "$jni/jnijavacpp.o" -Wl,--no-undefined \
    -Wl,--exclude-libs,ALL -Wl,-Bsymbolic -s -L"$avx2/lib" -lllava4j-shim -lmtmd -lllama -lggml -lggml-cpu \
    -lggml-base -lgomp -pthread
tar -C "$jni" -czf "$kit/jni-cpu-avx2.tgz" cpu
rm -rf "$jni"

du -sh "$kit"
ls -la "$kit"
