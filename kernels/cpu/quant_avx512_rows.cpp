// AVX-512 VNNI quantized matmul row kernels (quant_impl.h): decode and small batches, byte
// products through vpdpbusd. The kernels are in quant_x86.h, shared with the AVX2 level;
// they use 256-bit (EVEX) registers: on Zen 4, 512-bit vpdpbusd runs at half the rate of
// the 256-bit form, so the wider registers would save instructions but no time.
#include <algorithm>
#include <cstring>

#include "quant_impl.h"
#include "quant_simd.h"

#ifdef PRISM_X86
PRISM_TARGET_AVX512_BEGIN
#include "quant_x86.h"

namespace prism::kernels::detail {

void quant_rows_avx512(const quant_job& job, int64_t r0, int64_t r1) {
    rows_x86<true>(job, r0, r1);
}

}  // namespace prism::kernels::detail

PRISM_TARGET_END
#endif
