// CPU feature probe (see cpu_features.h): GCC's __builtin_cpu_supports on x86, nothing
// elsewhere; the environment variable PRISM_CPU_FEATURES lowers the level for tests.
#include "prism/kernels/cpu_features.h"

#include <cstdlib>
#include <string_view>

namespace prism::kernels {

namespace {

cpu_features probe() {
    cpu_features f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    f.avx512 = f.avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    f.avx512_vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
    f.avx512_bf16 = f.avx512 && __builtin_cpu_supports("avx512bf16");
    f.avx_vnni = f.avx2 && __builtin_cpu_supports("avxvnni");
    f.amx_int8 = false;  // needs arch_prctl(ARCH_REQ_XCOMP_PERM); no AMX kernels yet
#endif
    if (const char* cap = std::getenv("PRISM_CPU_FEATURES")) {
        const std::string_view c(cap);
        if (c == "portable") f = cpu_features{};
        if (c == "avx2") f = cpu_features{.avx2 = f.avx2};
    }
    return f;
}

}  // namespace

const cpu_features& cpu_caps() {
    static const cpu_features f = probe();
    return f;
}

std::string cpu_caps_name() {
    const auto& f = cpu_caps();
    if (f.avx512_vnni) return "AVX-512 VNNI";
    if (f.avx512) return "AVX-512";
    if (f.avx2) return "AVX2";
    return "portable";
}

}  // namespace prism::kernels
