/*
 * llava4j_shim.h: a small C API over llama.cpp's internal C++ CLIP encoder (tools/mtmd/clip.h).
 *
 * Contract for every function:
 *  - nothing throws and nothing aborts on bad arguments: inputs are checked first and C++
 *    exceptions are caught at the boundary;
 *  - functions return a status (LLAVA4J_OK on success); the message of the last failure on the
 *    calling thread is read with llava4j_last_error();
 *  - a handle is owned by exactly one caller and freed once with llava4j_clip_free.
 */
#ifndef LLAVA4J_SHIM_H
#define LLAVA4J_SHIM_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  define LLAVA4J_API __declspec(dllexport)
#else
#  define LLAVA4J_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LLAVA4J_OK                0
#define LLAVA4J_ERR_INVALID_ARG   1
#define LLAVA4J_ERR_LOAD          2
#define LLAVA4J_ERR_NO_VISION     3
#define LLAVA4J_ERR_IMAGE_SIZE    4
#define LLAVA4J_ERR_BUFFER_SIZE   5
#define LLAVA4J_ERR_ENCODE        6
#define LLAVA4J_ERR_INTERNAL      7

/** Opaque vision encoder handle (a clip_ctx for the vision modality). */
typedef struct llava4j_clip llava4j_clip;

/** Message of the last failure on this thread; never NULL, "" when none. Valid until the next call. */
LLAVA4J_API const char * llava4j_last_error(void);

/** Version string of the shim ABI, "llava4j-shim/<n>". */
LLAVA4J_API const char * llava4j_shim_version(void);

/**
 * Loads the vision part of an mmproj GGUF. use_gpu selects the first GPU backend when one is
 * compiled in; warmup runs one dummy encode to reserve compute memory up front.
 * On success *out receives the handle.
 */
LLAVA4J_API int llava4j_clip_load(const char * path, int use_gpu, int warmup, llava4j_clip ** out);

/** Frees a handle; NULL is ignored. */
LLAVA4J_API void llava4j_clip_free(llava4j_clip * clip);

/** Width of one output embedding (the language model's input width). */
LLAVA4J_API int llava4j_clip_n_embd(const llava4j_clip * clip, int32_t * out);

/** Square input side the encoder expects (clip.vision.image_size). */
LLAVA4J_API int llava4j_clip_image_size(const llava4j_clip * clip, int32_t * out);

/** Patch side (clip.vision.patch_size). */
LLAVA4J_API int llava4j_clip_patch_size(const llava4j_clip * clip, int32_t * out);

/** Projector type name as stored in the mmproj (e.g. "mlp"), copied into buf (NUL-terminated). */
LLAVA4J_API int llava4j_clip_projector(const llava4j_clip * clip, char * buf, size_t buf_len);

/** Number of embeddings one width x height image produces. */
LLAVA4J_API int llava4j_clip_n_tokens(const llava4j_clip * clip, int32_t width, int32_t height, int32_t * out);

/**
 * Encodes one image. pixels: width*height*3 floats, interleaved RGB, row-major (HWC), already
 * normalised ((v/255 - mean) / std). out: n_tokens * n_embd floats, out_len is its length in floats
 * and must match exactly.
 */
LLAVA4J_API int llava4j_clip_encode(llava4j_clip * clip, int32_t n_threads,
                                    const float * pixels, int32_t width, int32_t height,
                                    float * out, size_t out_len);

struct llama_context;

/**
 * Address of llama_get_logits_ith(ctx, i) as an integer, 0 when there are no logits for i.
 * Java compares it with the address of the view it already holds, so reading the logits of every
 * generated token allocates nothing.
 */
LLAVA4J_API int64_t llava4j_logits_address(struct llama_context * ctx, int32_t i);

/**
 * A cancellation flag read by llama.cpp's abort callback from native code, so that cancelling is
 * a plain store and decoding makes no call back into the JVM.
 */
typedef struct llava4j_cancel llava4j_cancel;
LLAVA4J_API llava4j_cancel * llava4j_cancel_new(void);
LLAVA4J_API void llava4j_cancel_free(llava4j_cancel * flag);
/** Sets (1) or clears (0) the flag; safe from any thread. */
LLAVA4J_API void llava4j_cancel_set(llava4j_cancel * flag, int value);
/** Installs the flag as ctx's abort callback: llama_decode returns 2 while it is set. */
LLAVA4J_API void llava4j_cancel_attach(struct llama_context * ctx, llava4j_cancel * flag);

/**
 * Memory llama.cpp allocated for a context, summed over buffer types and split into host (CPU)
 * and device (GPU, RPC) parts: weights (model), KV cache (context) and compute buffers. Used to
 * check llava4j's memory plan against llama.cpp's own measurement.
 */
LLAVA4J_API int llava4j_context_memory(struct llama_context * ctx, uint64_t * host_model, uint64_t * host_context,
                                       uint64_t * host_compute, uint64_t * device_model, uint64_t * device_context,
                                       uint64_t * device_compute);

/** Memory of a vision encoder, weights and compute buffers, summed over devices. */
LLAVA4J_API int llava4j_clip_memory(const llava4j_clip * clip, uint64_t * total);

/** Routes CLIP/mtmd log lines to callback (NULL restores the default stderr logger). */
typedef void (*llava4j_log_callback)(int level, const char * text, void * user_data);
LLAVA4J_API void llava4j_clip_log_set(llava4j_log_callback callback, void * user_data);

/*
 * Backends and devices. llama.cpp's backends are modules (libggml-cpu-<variant>.so, libggml-cuda.so,
 * libggml-rpc.so) loaded at run time; nothing runs until they are.
 */

/**
 * Loads the named backend modules ('\n'-separated file names in dir), and no other file: every
 * GPU/RPC module (one whose driver or runtime is missing is skipped with a log line) and, of the
 * CPU modules (libggml-cpu*), the one whose ggml_backend_score is highest on this CPU, as ggml's
 * own loader chooses. *out receives the number of registered backends; no CPU backend is
 * LLAVA4J_ERR_LOAD.
 */
LLAVA4J_API int llava4j_backends_load(const char * dir, const char * names, int32_t * out);

/**
 * Why the module at path cannot be loaded: the dynamic loader's message (e.g. a missing
 * libcudart.so.13) copied into buf, or "" when it loads. For explaining a backend that is missing.
 */
LLAVA4J_API int llava4j_module_load_error(const char * path, char * buf, size_t buf_len);

/** Number of registered backends (CPU, CUDA, RPC, ...). */
LLAVA4J_API int32_t llava4j_backend_count(void);

/**
 * Backend i: its name ("CPU", "CUDA", "RPC[host:port]") and the file its code was loaded from
 * ("" when linked in), each copied into a buffer (NUL-terminated, truncated to fit).
 */
LLAVA4J_API int llava4j_backend_describe(int32_t i, char * name, size_t name_len, char * path, size_t path_len);

/** Number of devices of all registered backends. */
LLAVA4J_API int32_t llava4j_device_count(void);

/**
 * Device i: name, description, type (0 CPU, 1 GPU, 2 integrated GPU, 3 accelerator, as
 * ggml_backend_dev_type), the name of its backend, and its free and total memory in bytes.
 */
LLAVA4J_API int llava4j_device_describe(int32_t i, char * name, size_t name_len, char * description,
                                        size_t description_len, char * backend, size_t backend_len,
                                        int32_t * type, uint64_t * free_bytes, uint64_t * total_bytes);

/**
 * The instruction-set features the CPU backend was compiled with and finds ("AVX2", "AVX512", ...
 * each followed by '=' and its value), ';'-separated, copied into buf.
 */
LLAVA4J_API int llava4j_cpu_backend_features(char * buf, size_t buf_len);

/**
 * Registers the devices of an RPC server ("host:port"), which llama.cpp then offloads layers to.
 * The RPC module aborts the process when it cannot connect or the peer does not speak its
 * protocol: callers check reachability and the handshake first. *out receives the number of
 * devices the server has.
 */
LLAVA4J_API int llava4j_rpc_add_server(const char * endpoint, int32_t * out);

/**
 * Serves this process's CPU (or the named device, NULL for the CPU) to RPC clients on host:port
 * with n_threads threads; blocks for the life of the process. Returns only on failure.
 */
LLAVA4J_API int llava4j_rpc_serve(const char * host_port, const char * device, int32_t n_threads);

/** The RPC protocol version this build speaks (major << 16 | minor << 8 | patch), 0 without RPC. */
LLAVA4J_API int32_t llava4j_rpc_protocol_version(void);

#ifdef __cplusplus
}
#endif

#endif
