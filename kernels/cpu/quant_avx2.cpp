// AVX2 quantized matmul row kernels (quant_impl.h): the x86 baseline without VNNI, byte
// products through vpmaddubsw + vpmaddwd. The kernels themselves are in quant_x86.h, shared
// with the AVX-512 VNNI level.
#include <algorithm>
#include <cstring>

#include "quant_impl.h"
#include "quant_simd.h"

#ifdef PRISM_X86
PRISM_TARGET_AVX2_BEGIN
#include "quant_x86.h"

namespace prism::kernels::detail {

void quant_rows_avx2(const quant_job& job, int64_t r0, int64_t r1) {
    rows_x86<false>(job, r0, r1);
}

}  // namespace prism::kernels::detail

PRISM_TARGET_END
#endif
