// llama.cpp's own sampler chain on the same logits as SamplerBench.java, for comparison.
// Each token does what llama_sampler_sample() does: fill a llama_token_data array of the whole
// vocabulary from the logits, llama_sampler_apply() the chain, llama_sampler_accept() the token.
//
// Build (against the static libraries that native/build.sh caches):
//   N=$(ls -d ~/.cache/llava4j/native/cpu-* | head -1)
//   g++ -O2 -std=c++17 -I$N/include native_sampler_bench.cpp -L$N/lib \
//       -lllama -lggml -lggml-cpu -lggml-base -fopenmp -lpthread -ldl -o /tmp/native_sampler_bench
//   /tmp/native_sampler_bench [tokens per round, default 20000]
#include "llama.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

namespace {

struct SplitMix64 {  // same as SamplerBench.SplitMix64
    uint64_t state;
    uint64_t next_long() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double next_double() { return (double) (next_long() >> 11) * 0x1.0p-53; }
};

std::vector<float> realistic_logits(int n, uint64_t seed) {  // same as SamplerBench.realisticLogits
    SplitMix64 rng{seed};
    std::vector<float> v(n);
    for (int i = 0; i < n; i += 2) {
        double u1 = 1.0 - rng.next_double();
        double u2 = rng.next_double();
        double radius = std::sqrt(-2.0 * std::log(u1));
        v[i] = (float) (2.5 * radius * std::cos(2 * M_PI * u2));
        if (i + 1 < n) {
            v[i + 1] = (float) (2.5 * radius * std::sin(2 * M_PI * u2));
        }
    }
    for (int j = 0; j < 32; j++) {
        int index = (int) (rng.next_long() % (uint64_t) n);
        v[index] += (float) (10 + 8 * rng.next_double());
    }
    return v;
}

double now_ns(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void run(const char * name, llama_sampler * chain, const std::vector<float> & logits, int tokens) {
    const int n = (int) logits.size();
    std::vector<llama_token_data> cur(n);
    auto step = [&]() {
        for (llama_token id = 0; id < n; id++) {
            cur[id] = llama_token_data{id, logits[id], 0.0f};
        }
        llama_token_data_array arr = {cur.data(), cur.size(), -1, false};
        llama_sampler_apply(chain, &arr);
        llama_token token = arr.data[arr.selected].id;
        llama_sampler_accept(chain, token);
        return token;
    };
    for (int i = 0; i < 200; i++) {
        step();
    }
    double cpu = 0, wall = 0;
    long long checksum = 0;
    for (int round = 0; round < 5; round++) {
        double cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID), wall0 = now_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < tokens; i++) {
            checksum += step();
        }
        cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
        wall = now_ns(CLOCK_MONOTONIC) - wall0;
    }
    std::printf("%-24s cpu %9.0f ns/token   wall %9.0f ns/token   (checksum %lld)\n",
                name, cpu / tokens, wall / tokens, checksum);
    llama_sampler_free(chain);
}

llama_sampler * chain_of(std::initializer_list<llama_sampler *> stages) {
    llama_sampler * chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    for (llama_sampler * s : stages) {
        llama_sampler_chain_add(chain, s);
    }
    return chain;
}

}  // namespace

int main(int argc, char ** argv) {
    const int vocab = 152064;
    const int tokens = argc > 1 ? std::atoi(argv[1]) : 20000;
    std::vector<float> logits = realistic_logits(vocab, 42);
    double sum = 0;
    for (float x : logits) {
        sum += x;
    }
    std::printf("vocab %d, logit checksum %.6f\n", vocab, sum);
    run("GREEDY", chain_of({llama_sampler_init_greedy()}), logits, tokens);
    run("TOPK_TOPP_MINP_PENALTY",
        chain_of({llama_sampler_init_penalties(vocab, 64, 1.1f, 0.0f, 0.0f), llama_sampler_init_top_k(40),
                  llama_sampler_init_top_p(0.95f, 1), llama_sampler_init_min_p(0.05f, 1),
                  llama_sampler_init_temp(0.8f), llama_sampler_init_dist(1234)}),
        logits, tokens);
    run("TOPP_ONLY", chain_of({llama_sampler_init_top_p(0.95f, 1), llama_sampler_init_temp(0.8f),
                               llama_sampler_init_dist(1234)}), logits, tokens / 10);
    run("MINP_ONLY", chain_of({llama_sampler_init_min_p(0.05f, 1), llama_sampler_init_temp(0.8f),
                               llama_sampler_init_dist(1234)}), logits, tokens / 10);
    run("TEMPERATURE_ONLY", chain_of({llama_sampler_init_temp(0.8f), llama_sampler_init_dist(1234)}), logits,
        tokens / 10);
    return 0;
}
