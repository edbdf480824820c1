// The fp16-weight product of decoding steps (Glossa's ExactHalfMatrix); HalfGemm.c explains
// the panel layout and the kernels.
#include <stddef.h>

enum { GLOSSA_PANEL = 32, GLOSSA_HALF_GEMM_MAX_ROWS = 10 };

/// Which kernels this CPU runs: 2 AVX-512 (F, with F16C and FMA), 1 AVX2 + FMA + F16C, 0 the
/// portable loop.
int glossa_half_gemm_level(void);

/// y[q, j] = Σ_i x[q, i]·W[j, i] (+ beta·y[q, j]) for rows q < m (1…10) and the output columns
/// of panels firstPanel ..< firstPanel + panelCount, with the kernel of `level` (at most
/// glossa_half_gemm_level(); tests run each level to check that they agree).
void glossa_half_gemm_at(int level, int m, const float *x, size_t ldx, const void *panels, size_t k,
                         size_t firstPanel, size_t panelCount, size_t n, float *y, size_t ldy, float beta);
