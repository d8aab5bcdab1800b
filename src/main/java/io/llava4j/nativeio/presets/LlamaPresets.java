package io.llava4j.nativeio.presets;

import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP configuration of the one native library of llava4j ({@code jnillava4j}): the public C API
 * of llama.cpp ({@code llama.h}, the parts of {@code ggml.h} it refers to) and our CLIP shim
 * ({@code llava4j_shim.h}), linked against the shared libraries that {@code native/build.sh}
 * produces. The generated class {@code io.llava4j.nativeio.bindings.LlamaLib} is internal (the
 * module does not export it): the handle owners use it, which are the classes of
 * {@code io.llava4j.nativeio} and {@code InferenceContext}, {@code LanguageModel}, {@code Vocabulary}
 * ({@code io.llava4j.model}), {@code VisionEncoder} ({@code io.llava4j.vision}) and {@code Quantizer}
 * ({@code io.llava4j.quantize}).
 */
@Properties(
        target = "io.llava4j.nativeio.bindings.LlamaLib",
        value = {
            // llama.cpp's shared libraries, dependencies first: JavaCPP loads them in this order
            // before the JNI library (and passes them to the linker reversed). "@.0" is the
            // soname version. The backends (CPU variants, CUDA, Metal, RPC) are modules that
            // NativeLibrary has ggml load afterwards, so no JNI link names a backend.
            @Platform(
                    value = {"linux", "macosx"},
                    include = {"ggml.h", "llama.h", "llava4j_shim.h"},
                    link = {"ggml-base@.0", "ggml@.0", "llama@.0", "mtmd@.0", "llava4j-shim"},
                    compiler = {"cpp17", "default"},
                    library = "jnillava4j"),
        })
@NoException
public class LlamaPresets implements InfoMapper {
    static {
        org.bytedeco.javacpp.Loader.checkVersion("org.bytedeco", "javacpp");
    }

    @Override
    public void map(InfoMap infoMap) {
        infoMap
                // Export/attribute macros carry no meaning for Java.
                .put(new Info(
                                "LLAMA_API",
                                "GGML_API",
                                "GGML_CALL",
                                "GGML_RESTRICT",
                                "GGML_NORETURN",
                                "GGML_DEPRECATED",
                                "LLAVA4J_API",
                                "GGML_BACKEND_API",
                                "_Noreturn",
                                "GGML_ATTRIBUTE_FORMAT")
                        .cppTypes()
                        .annotations())
                .put(new Info("restrict", "__restrict__").cppTypes().annotations())
                // Types declared in headers we do not parse (ggml-backend.h, ggml-cpu.h, ggml-opt.h):
                // opaque pointers are all we ever pass.
                .put(new Info(
                                "ggml_backend_dev_t",
                                "ggml_backend_buffer_type_t",
                                "ggml_threadpool_t",
                                "ggml_opt_dataset_t",
                                "ggml_opt_result_t",
                                "ggml_backend_t",
                                "ggml_backend_buffer_t",
                                "ggml_backend_sched_t")
                        .cast()
                        .valueTypes("Pointer")
                        .pointerTypes("PointerPointer"))
                .put(new Info(
                                "ggml_backend_sched_eval_callback",
                                "ggml_opt_get_optimizer_params",
                                "ggml_opt_epoch_callback")
                        .cast()
                        .valueTypes("Pointer"))
                // llama_memory_t is an opaque handle (struct llama_memory_i *) passed by value.
                .put(new Info("llama_memory_t").cast().valueTypes("Pointer"))
                .put(new Info("gguf_context", "ggml_backend_buffer").cast().pointerTypes("Pointer"))
                .put(new Info("ggml_numa_strategy", "ggml_opt_optimizer_type")
                        .cast()
                        .valueTypes("int"))
                // Training API: needs ggml-opt.h, which llava4j never uses.
                .put(new Info(
                                "llama_opt_params",
                                "llama_opt_init",
                                "llama_opt_epoch",
                                "llama_opt_param_filter",
                                "llama_opt_param_filter_all")
                        .skip())
                // Functions named like an enum hide the enum in C++, so generated casts to it fail to
                // compile; llava4j reads pooling and vocabulary type from GGUF metadata instead.
                .put(new Info(
                                "llama_pooling_type(const llama_context*)",
                                "llama_vocab_type(const llama_vocab*)",
                                "llama_context_params::pooling_type")
                        .skip())
                // Statement macros for ggml kernels, not expressions.
                .put(new Info(
                                "GGML_TENSOR_LOCALS_1",
                                "GGML_TENSOR_LOCALS_2",
                                "GGML_TENSOR_LOCALS_3",
                                "GGML_TENSOR_LOCALS",
                                "GGML_TENSOR_UNARY_OP_LOCALS",
                                "GGML_TENSOR_BINARY_OP_LOCALS",
                                "GGML_TENSOR_BINARY_OP_LOCALS01",
                                "GGML_TENSOR_TERNARY_OP_LOCALS")
                        .skip())
                // _Noreturn, printf-style; ggml's asserts are exactly what llava4j validates against.
                .put(new Info("ggml_abort").skip());
    }
}
