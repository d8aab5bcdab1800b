// llava4j_shim.cpp: the extern "C" boundary over llama.cpp's internal CLIP API.
// Every entry point validates its arguments (ggml asserts abort the process, so nothing invalid
// may reach clip.cpp) and catches every C++ exception.
#include "llava4j_shim.h"

#include "clip.h"
#include "clip-impl.h"
#include "clip-model.h"
#include "llama.h"
#include "ggml-backend.h"
#include "llama-ext.h"
#if __has_include("ggml-rpc.h")
#  include "ggml-rpc.h"
#endif

#if !defined(_WIN32)
#  include <dlfcn.h>
#endif

#include <atomic>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct llava4j_clip {
    clip_ctx * ctx = nullptr;
};

struct llava4j_cancel {
    std::atomic<bool> requested{false};
};

namespace {

thread_local std::string g_last_error;

int fail(int code, const std::string & message) {
    g_last_error = message;
    return code;
}

int ok() {
    g_last_error.clear();
    return LLAVA4J_OK;
}

// clip_image_size::area() asserts on sides above this.
constexpr int32_t kMaxSide = 46000;

template <typename F>
int guarded(const char * what, F && body) {
    try {
        return body();
    } catch (const std::exception & e) {
        return fail(LLAVA4J_ERR_INTERNAL, std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(LLAVA4J_ERR_INTERNAL, std::string(what) + ": unknown C++ exception");
    }
}

int check_handle(const llava4j_clip * clip, const void * out) {
    if (clip == nullptr || clip->ctx == nullptr) {
        return fail(LLAVA4J_ERR_INVALID_ARG, "vision encoder handle is null or closed");
    }
    if (out == nullptr) {
        return fail(LLAVA4J_ERR_INVALID_ARG, "output pointer is null");
    }
    return LLAVA4J_OK;
}

llava4j_log_callback g_log_callback = nullptr;
void * g_log_user_data = nullptr;

void forward_log(enum ggml_log_level level, const char * text, void * /*user_data*/) {
    if (g_log_callback != nullptr) {
        g_log_callback((int) level, text, g_log_user_data);
    }
}

} // namespace

extern "C" {

const char * llava4j_last_error(void) {
    return g_last_error.c_str();
}

const char * llava4j_shim_version(void) {
    return "llava4j-shim/1";
}

int llava4j_clip_load(const char * path, int use_gpu, int warmup, llava4j_clip ** out) {
    return guarded("llava4j_clip_load", [&]() {
        if (out == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "output pointer is null");
        }
        *out = nullptr;
        if (path == nullptr || *path == '\0') {
            return fail(LLAVA4J_ERR_INVALID_ARG, "mmproj path is empty");
        }
        clip_context_params params{};
        params.use_gpu = use_gpu != 0;
        params.device = nullptr;
        params.flash_attn_type = CLIP_FLASH_ATTN_TYPE_AUTO;
        params.image_min_tokens = -1;
        params.image_max_tokens = -1;
        params.warmup = warmup != 0;
        params.cb_eval = nullptr;
        params.cb_eval_user_data = nullptr;
        params.no_alloc = false;
        params.progress_callback = nullptr;
        params.progress_callback_user_data = nullptr;

        clip_init_result res = clip_init(path, params);
        if (res.ctx_a != nullptr) {
            clip_free(res.ctx_a);
        }
        if (res.ctx_gen_a != nullptr) {
            clip_free(res.ctx_gen_a);
        }
        if (res.ctx_v == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, std::string("cannot load a vision encoder from ") + path
                                              + " (see the log for the reason)");
        }
        if (!clip_has_vision_encoder(res.ctx_v)) {
            clip_free(res.ctx_v);
            return fail(LLAVA4J_ERR_NO_VISION, std::string(path) + " has no vision encoder");
        }
        *out = new llava4j_clip{res.ctx_v};
        return ok();
    });
}

void llava4j_clip_free(llava4j_clip * clip) {
    if (clip == nullptr) {
        return;
    }
    try {
        if (clip->ctx != nullptr) {
            clip_free(clip->ctx);
        }
    } catch (...) {
        // nothing sensible to report from a destructor path
    }
    delete clip;
}

int llava4j_clip_n_embd(const llava4j_clip * clip, int32_t * out) {
    return guarded("llava4j_clip_n_embd", [&]() {
        if (int rc = check_handle(clip, out)) return rc;
        *out = clip_n_mmproj_embd(clip->ctx);
        return ok();
    });
}

int llava4j_clip_image_size(const llava4j_clip * clip, int32_t * out) {
    return guarded("llava4j_clip_image_size", [&]() {
        if (int rc = check_handle(clip, out)) return rc;
        *out = clip_get_hparams(clip->ctx)->image_size;
        return ok();
    });
}

int llava4j_clip_patch_size(const llava4j_clip * clip, int32_t * out) {
    return guarded("llava4j_clip_patch_size", [&]() {
        if (int rc = check_handle(clip, out)) return rc;
        *out = clip_get_hparams(clip->ctx)->patch_size;
        return ok();
    });
}

int llava4j_clip_projector(const llava4j_clip * clip, char * buf, size_t buf_len) {
    return guarded("llava4j_clip_projector", [&]() {
        if (int rc = check_handle(clip, buf)) return rc;
        const projector_type type = clip_get_projector_type(clip->ctx);
        auto it = PROJECTOR_TYPE_NAMES.find(type);
        const std::string name = it == PROJECTOR_TYPE_NAMES.end() ? "unknown" : it->second;
        if (buf_len < name.size() + 1) {
            return fail(LLAVA4J_ERR_BUFFER_SIZE, "projector name needs " + std::to_string(name.size() + 1) + " bytes");
        }
        std::memcpy(buf, name.c_str(), name.size() + 1);
        return ok();
    });
}

static int check_image(const llava4j_clip * clip, int32_t width, int32_t height) {
    if (width <= 0 || height <= 0 || width > kMaxSide || height > kMaxSide) {
        return fail(LLAVA4J_ERR_IMAGE_SIZE, "image size " + std::to_string(width) + "x" + std::to_string(height)
                                                + " is out of range (1.." + std::to_string(kMaxSide) + ")");
    }
    if (clip_is_llava(clip->ctx)) {
        // The LLaVA graph has a fixed number of position embeddings: any other size asserts.
        const int32_t side = clip_get_hparams(clip->ctx)->image_size;
        if (width != side || height != side) {
            return fail(LLAVA4J_ERR_IMAGE_SIZE, "this encoder takes " + std::to_string(side) + "x" + std::to_string(side)
                                                    + " images, got " + std::to_string(width) + "x" + std::to_string(height));
        }
    }
    return LLAVA4J_OK;
}

int llava4j_clip_n_tokens(const llava4j_clip * clip, int32_t width, int32_t height, int32_t * out) {
    return guarded("llava4j_clip_n_tokens", [&]() {
        if (int rc = check_handle(clip, out)) return rc;
        if (int rc = check_image(clip, width, height)) return rc;
        clip_image_f32 img;
        img.set_size({width, height}, true, false);
        *out = clip_n_output_tokens(clip->ctx, &img);
        return ok();
    });
}

int llava4j_clip_encode(llava4j_clip * clip, int32_t n_threads, const float * pixels, int32_t width, int32_t height,
                        float * out, size_t out_len) {
    return guarded("llava4j_clip_encode", [&]() {
        if (int rc = check_handle(clip, out)) return rc;
        if (pixels == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "pixel pointer is null");
        }
        if (int rc = check_image(clip, width, height)) return rc;
        if (n_threads <= 0) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "n_threads must be positive, got " + std::to_string(n_threads));
        }
        clip_image_f32 img;
        img.set_size({width, height}, true, false);
        const size_t n_tokens = (size_t) clip_n_output_tokens(clip->ctx, &img);
        const size_t n_embd = (size_t) clip_n_mmproj_embd(clip->ctx);
        if (out_len != n_tokens * n_embd) {
            return fail(LLAVA4J_ERR_BUFFER_SIZE, "output buffer holds " + std::to_string(out_len) + " floats, the image needs "
                                                     + std::to_string(n_tokens) + " x " + std::to_string(n_embd));
        }
        const size_t n_in = (size_t) width * (size_t) height * 3;
        img.set_size({width, height}, false, false);
        img.cpy_buf(std::vector<float>(pixels, pixels + n_in));
        std::vector<float> result(out_len);
        if (!clip_image_encode(clip->ctx, n_threads, &img, result)) {
            return fail(LLAVA4J_ERR_ENCODE, "clip_image_encode failed (see the log)");
        }
        std::memcpy(out, result.data(), out_len * sizeof(float));
        return ok();
    });
}

int64_t llava4j_logits_address(struct llama_context * ctx, int32_t i) {
    if (ctx == nullptr) {
        return 0;
    }
    try {
        return (int64_t) (intptr_t) llama_get_logits_ith(ctx, i);
    } catch (...) {
        return 0;
    }
}

static bool abort_requested(void * data) {
    return static_cast<llava4j_cancel *>(data)->requested.load(std::memory_order_relaxed);
}

llava4j_cancel * llava4j_cancel_new(void) {
    try {
        return new llava4j_cancel();
    } catch (...) {
        return nullptr;
    }
}

void llava4j_cancel_free(llava4j_cancel * flag) {
    delete flag;
}

void llava4j_cancel_set(llava4j_cancel * flag, int value) {
    if (flag != nullptr) {
        flag->requested.store(value != 0, std::memory_order_relaxed);
    }
}

void llava4j_cancel_attach(struct llama_context * ctx, llava4j_cancel * flag) {
    if (ctx != nullptr) {
        llama_set_abort_callback(ctx, flag != nullptr ? abort_requested : nullptr, flag);
    }
}

void llava4j_clip_log_set(llava4j_log_callback callback, void * user_data) {
    g_log_callback = callback;
    g_log_user_data = user_data;
    mtmd_log_set(callback != nullptr ? forward_log : nullptr, nullptr);
}

} // extern "C"

// ---- backends and devices ---------------------------------------------------------------------

namespace {

void copy_out(char * buf, size_t len, const std::string & value) {
    if (buf == nullptr || len == 0) {
        return;
    }
    size_t n = value.size() < len - 1 ? value.size() : len - 1;
    std::memcpy(buf, value.data(), n);
    buf[n] = '\0';
}

// The file a backend's code lives in: the module holding its name string.
std::string module_of(const void * address) {
#if !defined(_WIN32)
    Dl_info info;
    if (address != nullptr && dladdr(address, &info) != 0 && info.dli_fname != nullptr) {
        return info.dli_fname;
    }
#endif
    (void) address;
    return "";
}

} // namespace

int llava4j_backends_load(const char * dir, const char * names, int32_t * out) {
    return guarded("loading backends", [&]() -> int {
        if (dir == nullptr || names == nullptr || out == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "directory, names or output pointer is null");
        }
        std::string base(dir);
        if (!base.empty() && base.back() != '/') {
            base += '/';
        }
        std::vector<std::string> cpu, other;
        std::string all(names);
        size_t start = 0;
        while (start <= all.size()) {
            size_t end = all.find('\n', start);
            std::string name = all.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (!name.empty()) {
                (name.rfind("libggml-cpu", 0) == 0 ? cpu : other).push_back(base + name);
            }
            if (end == std::string::npos) {
                break;
            }
            start = end + 1;
        }
        for (const auto & path : other) {
            ggml_backend_load(path.c_str()); // logs and returns null when it cannot be loaded
        }
        std::string best;
#if !defined(_WIN32)
        int best_score = 0;
        for (const auto & path : cpu) {
            void * handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (handle == nullptr) {
                continue;
            }
            typedef int (*score_t)(void);
            auto score = (score_t) dlsym(handle, "ggml_backend_score");
            int s = score != nullptr ? score() : (cpu.size() == 1 ? 1 : 0);
            if (s > best_score) {
                best_score = s;
                best = path;
            }
            dlclose(handle);
        }
#else
        if (!cpu.empty()) {
            best = cpu.front();
        }
#endif
        if (!best.empty()) {
            ggml_backend_load(best.c_str());
        }
        *out = (int32_t) ggml_backend_reg_count();
        if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, std::string("no CPU backend could be loaded from ") + dir
                    + (cpu.empty() ? " (no libggml-cpu module is listed)" : " (no CPU module runs on this CPU)"));
        }
        return ok();
    });
}

int llava4j_module_load_error(const char * path, char * buf, size_t buf_len) {
    return guarded("probing a module", [&]() -> int {
        if (path == nullptr || buf == nullptr || buf_len == 0) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "path or buffer is null");
        }
#if !defined(_WIN32)
        void * handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            const char * why = dlerror();
            copy_out(buf, buf_len, why != nullptr ? why : "unknown dlopen error");
        } else {
            dlclose(handle);
            copy_out(buf, buf_len, "");
        }
#else
        copy_out(buf, buf_len, "");
#endif
        return ok();
    });
}

int32_t llava4j_backend_count(void) {
    return (int32_t) ggml_backend_reg_count();
}

int llava4j_backend_describe(int32_t i, char * name, size_t name_len, char * path, size_t path_len) {
    return guarded("describing a backend", [&]() -> int {
        if (i < 0 || (size_t) i >= ggml_backend_reg_count()) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "backend index out of range: " + std::to_string(i));
        }
        ggml_backend_reg_t reg = ggml_backend_reg_get((size_t) i);
        const char * n = ggml_backend_reg_name(reg);
        copy_out(name, name_len, n != nullptr ? n : "");
        copy_out(path, path_len, module_of(n));
        return ok();
    });
}

int32_t llava4j_device_count(void) {
    return (int32_t) ggml_backend_dev_count();
}

int llava4j_device_describe(int32_t i, char * name, size_t name_len, char * description,
                            size_t description_len, char * backend, size_t backend_len,
                            int32_t * type, uint64_t * free_bytes, uint64_t * total_bytes) {
    return guarded("describing a device", [&]() -> int {
        if (i < 0 || (size_t) i >= ggml_backend_dev_count()) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "device index out of range: " + std::to_string(i));
        }
        if (type == nullptr || free_bytes == nullptr || total_bytes == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "output pointer is null");
        }
        ggml_backend_dev_t dev = ggml_backend_dev_get((size_t) i);
        const char * n = ggml_backend_dev_name(dev);
        const char * d = ggml_backend_dev_description(dev);
        ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
        const char * r = reg != nullptr ? ggml_backend_reg_name(reg) : nullptr;
        copy_out(name, name_len, n != nullptr ? n : "");
        copy_out(description, description_len, d != nullptr ? d : "");
        copy_out(backend, backend_len, r != nullptr ? r : "");
        size_t f = 0, t = 0;
        ggml_backend_dev_memory(dev, &f, &t);
        *type = (int32_t) ggml_backend_dev_type(dev);
        *free_bytes = f;
        *total_bytes = t;
        return ok();
    });
}

int llava4j_cpu_backend_features(char * buf, size_t buf_len) {
    return guarded("reading CPU features", [&]() -> int {
        ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        ggml_backend_reg_t reg = cpu != nullptr ? ggml_backend_dev_backend_reg(cpu) : nullptr;
        if (reg == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, "no CPU backend is loaded");
        }
        std::string text;
        auto get_features = (ggml_backend_get_features_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
        if (get_features != nullptr) {
            for (ggml_backend_feature * f = get_features(reg); f != nullptr && f->name != nullptr; f++) {
                if (!text.empty()) {
                    text += ';';
                }
                text += f->name;
                text += '=';
                text += f->value != nullptr ? f->value : "";
            }
        }
        copy_out(buf, buf_len, text);
        return ok();
    });
}

int llava4j_rpc_add_server(const char * endpoint, int32_t * out) {
    return guarded("adding an RPC server", [&]() -> int {
        if (endpoint == nullptr || *endpoint == '\0' || out == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "endpoint or output pointer is null");
        }
        ggml_backend_reg_t rpc = ggml_backend_reg_by_name("RPC");
        if (rpc == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, "this build has no RPC backend (libggml-rpc.so was not loaded)");
        }
        typedef ggml_backend_reg_t (*add_server_t)(const char *);
        auto add_server = (add_server_t) ggml_backend_reg_get_proc_address(rpc, "ggml_backend_rpc_add_server");
        if (add_server == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, "the RPC backend lacks ggml_backend_rpc_add_server");
        }
        ggml_backend_reg_t reg = add_server(endpoint);
        if (reg == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, std::string("RPC server ") + endpoint + " was not added");
        }
        ggml_backend_register(reg);
        *out = (int32_t) ggml_backend_reg_dev_count(reg);
        return ok();
    });
}

int llava4j_rpc_serve(const char * host_port, const char * device, int32_t n_threads) {
    return guarded("serving RPC", [&]() -> int {
        if (host_port == nullptr || *host_port == '\0' || n_threads <= 0) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "endpoint is null or thread count is not positive");
        }
        ggml_backend_reg_t rpc = ggml_backend_reg_by_name("RPC");
        if (rpc == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, "this build has no RPC backend (libggml-rpc.so was not loaded)");
        }
        typedef void (*start_server_t)(const char *, const char *, size_t, size_t, ggml_backend_dev_t *);
        auto start = (start_server_t) ggml_backend_reg_get_proc_address(rpc, "ggml_backend_rpc_start_server");
        if (start == nullptr) {
            return fail(LLAVA4J_ERR_LOAD, "the RPC backend lacks ggml_backend_rpc_start_server");
        }
        ggml_backend_dev_t dev = device != nullptr && *device != '\0'
                ? ggml_backend_dev_by_name(device) : ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        if (dev == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, std::string("no device named ") + (device != nullptr ? device : "CPU"));
        }
        ggml_backend_dev_t devices[1] = { dev };
        start(host_port, nullptr, (size_t) n_threads, 1, devices);
        return fail(LLAVA4J_ERR_INTERNAL, std::string("the RPC server on ") + host_port + " stopped");
    });
}

int32_t llava4j_rpc_protocol_version(void) {
#if defined(RPC_PROTO_MAJOR_VERSION)
    return (RPC_PROTO_MAJOR_VERSION << 16) | (RPC_PROTO_MINOR_VERSION << 8) | RPC_PROTO_PATCH_VERSION;
#else
    return 0;
#endif
}

int llava4j_context_memory(struct llama_context * ctx, uint64_t * host_model, uint64_t * host_context,
                           uint64_t * host_compute, uint64_t * device_model, uint64_t * device_context,
                           uint64_t * device_compute) {
    return guarded("measuring context memory", [&]() -> int {
        if (ctx == nullptr || host_model == nullptr || host_context == nullptr || host_compute == nullptr
                || device_model == nullptr || device_context == nullptr || device_compute == nullptr) {
            return fail(LLAVA4J_ERR_INVALID_ARG, "context or output pointer is null");
        }
        uint64_t hm = 0, hc = 0, hk = 0, dm = 0, dc = 0, dk = 0;
        for (const auto & [buft, mb] : llama_get_memory_breakdown(ctx)) {
            ggml_backend_dev_t dev = ggml_backend_buft_get_device(buft);
            bool host = ggml_backend_buft_is_host(buft)
                    || (dev != nullptr && ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_CPU);
            (host ? hm : dm) += mb.model;
            (host ? hc : dc) += mb.context;
            (host ? hk : dk) += mb.compute;
        }
        *host_model = hm; *host_context = hc; *host_compute = hk;
        *device_model = dm; *device_context = dc; *device_compute = dk;
        return ok();
    });
}

int llava4j_clip_memory(const llava4j_clip * clip, uint64_t * total) {
    return guarded("measuring vision encoder memory", [&]() -> int {
        int status = check_handle(clip, total);
        if (status != LLAVA4J_OK) {
            return status;
        }
        uint64_t sum = 0;
        for (const auto & [dev, size] : clip_get_mem_usage(clip->ctx)) {
            (void) dev;
            sum += size;
        }
        *total = sum;
        return ok();
    });
}
