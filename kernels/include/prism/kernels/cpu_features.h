// Run-time CPU feature detection for kernel dispatch. Kernels are compiled for several
// instruction sets with target attributes and pick one per call from these flags, so one
// binary runs (portably, if slower) on any x86-64 or non-x86 CPU.
#pragma once

#include <string>

namespace prism::kernels {

struct cpu_features {
    bool avx2 = false;         ///< AVX2 + FMA + F16C (the x86 fast path's baseline)
    bool avx512 = false;       ///< AVX-512 F + BW + VL + DQ
    bool avx512_vnni = false;  ///< AVX-512 VNNI (vpdpbusd: u8 × s8 dot products into i32)
    bool avx512_bf16 = false;  ///< AVX-512 BF16 (vdpbf16ps)
    bool avx_vnni = false;     ///< AVX-VNNI (the 256-bit VEX encoding of vpdpbusd)
    bool amx_int8 = false;     ///< AMX tiles with INT8 (also needs the OS to grant tile state)
};

/// The running CPU's features, probed once (thread-safe). PRISM_CPU_FEATURES=portable|avx2
/// caps them, to test the slower paths on a fast machine.
const cpu_features& cpu_caps();

/// "AVX-512 VNNI", "AVX2", or "portable": the best path the kernels use here.
std::string cpu_caps_name();

}  // namespace prism::kernels
