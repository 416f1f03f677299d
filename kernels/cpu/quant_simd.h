// Compiles a region of a kernel file for one x86 instruction set (chosen at run time by
// matmul_quant.cpp through cpu_caps()), so templates and lambdas inside the region may use
// its intrinsics: GCC's `#pragma GCC target`, clang's `#pragma clang attribute`. Include
// every header before PRISM_TARGET_*_BEGIN so no library code is built for the wider ISA.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PRISM_X86 1

#if defined(__clang__)
#define PRISM_TARGET_AVX2_BEGIN                                                                    \
    _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = "         \
            "function)")
#define PRISM_TARGET_AVX512_BEGIN                                                                  \
    _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c,avx512f,avx512bw,"         \
            "avx512vl,avx512dq,avx512vnni\"))), apply_to = function)")
#define PRISM_TARGET_END _Pragma("clang attribute pop")
#else
// GCC 12 reports its own _mm512_undefined_* placeholders as (maybe-)uninitialized inside
// target regions (GCC bug 105593), hence the diagnostic push.
#define PRISM_TARGET_AVX2_BEGIN                                                                    \
    _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,f16c\")")                           \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
            _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define PRISM_TARGET_AVX512_BEGIN                                                                  \
    _Pragma("GCC push_options")                                                                    \
        _Pragma("GCC target(\"avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni\")")     \
            _Pragma("GCC diagnostic push")                                                         \
                _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")                        \
                    _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define PRISM_TARGET_END _Pragma("GCC diagnostic pop") _Pragma("GCC pop_options")
#endif

#endif
