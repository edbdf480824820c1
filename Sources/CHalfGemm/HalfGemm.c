// y = x·Wᵀ for 1–10 rows of x against fp16 weights stored in column panels, the product of a
// beam (or sampling) step through a frozen weight matrix (Glossa's ExactHalfMatrix).
//
// Layout: W [n, k] is cut into panels of GLOSSA_PANEL output columns; panel p holds
// W[32p + jj, i] at ((p·k) + i)·32 + jj, zero-padded past n. One row i of a panel is 64 bytes,
// one cache line, and the kernel walks the panel once: for each i it widens the 32 weights into
// two 16-lane registers and adds x[q, i] · w to 2 accumulators per row of x, so no horizontal
// sums are needed and the weights are read from memory once for all rows (the GEMM
// micro-kernel of GotoBLAS/BLIS, with B packed once at load rather than on every call as
// OpenBLAS's sgemm does).
//
// Every output is the fp32 fused multiply-add chain s = fma(x[q,i], w[i], s) over i = 0, 1, …,
// k−1 from s = +0, then s + beta·y. The AVX-512, AVX2 and scalar paths all compute exactly
// that chain, so they agree bit for bit and a transcript does not depend on the machine.
//
// A C target compiled by clang, not a header Swift compiles: imported into Swift, the inline
// kernels came out with accumulators spilled to the stack inside the inner loop, at half this
// speed (docs/asr.md, "The fp16 kernel compiled as C"). The target attributes let the
// AVX-512 and AVX2 paths be built into a binary for any x86-64; glossa_half_gemm_level reads
// CPUID once (ExactHalfMatrix.kernelLevel) and glossa_half_gemm_at runs the kernel of that level.
#include "CHalfGemm.h"
#include <stdint.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

// The chain above must not be contracted or reassociated by the compiler (beta's term).
#pragma clang fp contract(off)

// Requires the OS to save the vector registers (XCR0), not just the CPU flags.
int glossa_half_gemm_level(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    if ((c & (fma | osxsave | avx | f16c)) != (fma | osxsave | avx | f16c)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x6) != 0x6) return 0;  // SSE and AVX state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 5))) return 0;  // AVX2
    if ((b & (1u << 16)) && (lo & 0xe6) == 0xe6) return 2;  // AVX-512F, opmask and zmm state
    return 1;
#else
    return 0;
#endif
}

/// One output: s, or s + beta·old (a multiply, then an add: contraction is off).
static inline void glossa_half_store1(float *y, float s, float beta) { *y = beta == 0 ? s : s + beta * *y; }

/// The portable path: the same chain, one output at a time.
static inline void glossa_half_gemm_scalar(int m, const float *x, size_t ldx, const void *panels, size_t k,
                                           size_t firstPanel, size_t panelCount, size_t n, float *y, size_t ldy,
                                           float beta) {
    const _Float16 *w = (const _Float16 *)panels;
    for (size_t p = firstPanel; p < firstPanel + panelCount; p++) {
        const _Float16 *panel = w + p * k * GLOSSA_PANEL;
        size_t j0 = p * GLOSSA_PANEL, width = n - j0 < GLOSSA_PANEL ? n - j0 : GLOSSA_PANEL;
        for (int q = 0; q < m; q++) {
            for (size_t jj = 0; jj < width; jj++) {
                float s = 0;
                for (size_t i = 0; i < k; i++) s = __builtin_fmaf(x[q * ldx + i], (float)panel[i * GLOSSA_PANEL + jj], s);
                glossa_half_store1(y + q * ldy + j0 + jj, s, beta);
            }
        }
    }
}

#if defined(__x86_64__)
// Panels ahead to prefetch into L2 (locality 2, as CPrefetch): the hardware prefetcher follows
// a panel once inside it, not the jump to the next one.
enum { GLOSSA_PANELS_AHEAD = 2 };

/// AVX-512: all M rows at once, 2·M accumulators of 16 lanes (M ≤ 10: 20 of the 32 registers).
#define GLOSSA_HALF_GEMM_AVX512(M)                                                                              \
    __attribute__((target("avx512f,fma,f16c"))) static void glossa_half_gemm_avx512_##M(                       \
        const float *x, size_t ldx, const _Float16 *w, size_t k, size_t firstPanel, size_t panelCount, size_t n, \
        float *y, size_t ldy, float beta) {                                                                      \
        size_t last = firstPanel + panelCount;                                                                   \
        for (size_t p = firstPanel; p < last; p++) {                                                             \
            const _Float16 *panel = w + p * k * GLOSSA_PANEL;                                                    \
            const _Float16 *ahead = p + GLOSSA_PANELS_AHEAD < last ? panel + GLOSSA_PANELS_AHEAD * k * GLOSSA_PANEL : panel; \
            __m512 s0[M], s1[M];                                                                                 \
            for (int q = 0; q < M; q++) s0[q] = s1[q] = _mm512_setzero_ps();                                     \
            for (size_t i = 0; i < k; i++) {                                                                     \
                __builtin_prefetch(ahead + i * GLOSSA_PANEL, 0, 2);                                              \
                __m512 w0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(panel + i * GLOSSA_PANEL)));    \
                __m512 w1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(panel + i * GLOSSA_PANEL + 16))); \
                _Pragma("unroll") for (int q = 0; q < M; q++) {                                                  \
                    __m512 xq = _mm512_set1_ps(x[q * ldx + i]);                                                   \
                    s0[q] = _mm512_fmadd_ps(xq, w0, s0[q]);                                                      \
                    s1[q] = _mm512_fmadd_ps(xq, w1, s1[q]);                                                      \
                }                                                                                                \
            }                                                                                                    \
            size_t j0 = p * GLOSSA_PANEL, width = n - j0 < GLOSSA_PANEL ? n - j0 : GLOSSA_PANEL;                 \
            __mmask16 m0 = width >= 16 ? 0xffff : (__mmask16)((1u << width) - 1);                                \
            __mmask16 m1 = width >= 32 ? 0xffff : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);       \
            __m512 b = _mm512_set1_ps(beta);                                                                     \
            for (int q = 0; q < M; q++) {                                                                        \
                float *out = y + q * ldy + j0;                                                                   \
                if (beta != 0) {                                                                                 \
                    s0[q] = _mm512_add_ps(s0[q], _mm512_mul_ps(b, _mm512_maskz_loadu_ps(m0, out)));              \
                    s1[q] = _mm512_add_ps(s1[q], _mm512_mul_ps(b, _mm512_maskz_loadu_ps(m1, out + 16)));         \
                }                                                                                                \
                _mm512_mask_storeu_ps(out, m0, s0[q]);                                                           \
                _mm512_mask_storeu_ps(out + 16, m1, s1[q]);                                                      \
            }                                                                                                    \
        }                                                                                                        \
    }
GLOSSA_HALF_GEMM_AVX512(1)
GLOSSA_HALF_GEMM_AVX512(2)
GLOSSA_HALF_GEMM_AVX512(3)
GLOSSA_HALF_GEMM_AVX512(4)
GLOSSA_HALF_GEMM_AVX512(5)
GLOSSA_HALF_GEMM_AVX512(6)
GLOSSA_HALF_GEMM_AVX512(7)
GLOSSA_HALF_GEMM_AVX512(8)
GLOSSA_HALF_GEMM_AVX512(9)
GLOSSA_HALF_GEMM_AVX512(10)
#undef GLOSSA_HALF_GEMM_AVX512

/// The kernel for M rows at index M − 1.
static void (*const glossa_half_gemm_avx512_rows[10])(const float *, size_t, const _Float16 *, size_t, size_t, size_t,
                                                       size_t, float *, size_t, float) = {
    glossa_half_gemm_avx512_1, glossa_half_gemm_avx512_2, glossa_half_gemm_avx512_3, glossa_half_gemm_avx512_4,
    glossa_half_gemm_avx512_5, glossa_half_gemm_avx512_6, glossa_half_gemm_avx512_7, glossa_half_gemm_avx512_8,
    glossa_half_gemm_avx512_9, glossa_half_gemm_avx512_10};

/// AVX2 (16 registers of 8 lanes): a panel in two halves of 16 columns, rows in groups of R
/// (2·R accumulators), so a half panel is read from L1 once per group. Up to five rows make one
/// group; more go as six and the rest. R = 6 fills 15 of the 16 registers (12 accumulators, two
/// weight vectors, the broadcast) and keeps 12 independent multiply-add chains in flight, more
/// than the 10 that two FMA units of 5-cycle latency need: `bench blas` has the head at ten
/// rows (a beam of 5 and its internal LM) 12% faster as 6 + 4 than as 5 + 5 (docs/asr.md).
#define GLOSSA_HALF_GEMM_AVX2(R)                                                                                 \
    __attribute__((target("avx2,fma,f16c"))) static void glossa_half_gemm_avx2_##R(                             \
        const float *x, size_t ldx, const _Float16 *panel, size_t k, size_t half, const _Float16 *ahead,          \
        float *out, size_t ldy, size_t width, float beta) {                                                      \
        __m256 s0[R], s1[R];                                                                                     \
        for (int q = 0; q < R; q++) s0[q] = s1[q] = _mm256_setzero_ps();                                         \
        const _Float16 *h = panel + 16 * half;                                                                   \
        for (size_t i = 0; i < k; i++) {                                                                         \
            if (ahead) __builtin_prefetch(ahead + i * GLOSSA_PANEL, 0, 2);                                       \
            __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i * GLOSSA_PANEL)));              \
            __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i * GLOSSA_PANEL + 8)));          \
            _Pragma("unroll") for (int q = 0; q < R; q++) {                                                      \
                __m256 xq = _mm256_broadcast_ss(x + q * ldx + i);                                                \
                s0[q] = _mm256_fmadd_ps(xq, w0, s0[q]);                                                          \
                s1[q] = _mm256_fmadd_ps(xq, w1, s1[q]);                                                          \
            }                                                                                                    \
        }                                                                                                        \
        for (int q = 0; q < R; q++) {                                                                            \
            float lanes[16];                                                                                     \
            _mm256_storeu_ps(lanes, s0[q]);                                                                      \
            _mm256_storeu_ps(lanes + 8, s1[q]);                                                                  \
            for (size_t jj = 0; jj < width; jj++) glossa_half_store1(out + q * ldy + jj, lanes[jj], beta);       \
        }                                                                                                        \
    }
GLOSSA_HALF_GEMM_AVX2(1)
GLOSSA_HALF_GEMM_AVX2(2)
GLOSSA_HALF_GEMM_AVX2(3)
GLOSSA_HALF_GEMM_AVX2(4)
GLOSSA_HALF_GEMM_AVX2(5)
GLOSSA_HALF_GEMM_AVX2(6)
#undef GLOSSA_HALF_GEMM_AVX2

/// The kernel for a group of R rows at index R − 1.
static void (*const glossa_half_gemm_avx2_groups[6])(const float *, size_t, const _Float16 *, size_t, size_t,
                                                      const _Float16 *, float *, size_t, size_t, float) = {
    glossa_half_gemm_avx2_1, glossa_half_gemm_avx2_2, glossa_half_gemm_avx2_3,
    glossa_half_gemm_avx2_4, glossa_half_gemm_avx2_5, glossa_half_gemm_avx2_6};

static inline void glossa_half_gemm_avx2(int m, const float *x, size_t ldx, const _Float16 *w, size_t k,
                                         size_t firstPanel, size_t panelCount, size_t n, float *y, size_t ldy,
                                         float beta) {
    size_t last = firstPanel + panelCount;
    for (size_t p = firstPanel; p < last; p++) {
        const _Float16 *panel = w + p * k * GLOSSA_PANEL;
        const _Float16 *ahead = p + GLOSSA_PANELS_AHEAD < last ? panel + GLOSSA_PANELS_AHEAD * k * GLOSSA_PANEL : NULL;
        size_t j0 = p * GLOSSA_PANEL;
        for (size_t half = 0; half < 2 && j0 + 16 * half < n; half++) {
            size_t c0 = j0 + 16 * half, width = n - c0 < 16 ? n - c0 : 16;
            for (int r = 0, group = m <= 5 ? m : 6; r < m; r += group, group = m - r < 6 ? m - r : 6) {
                const float *xr = x + r * ldx;
                float *out = y + r * ldy + c0;
                // The first pass over the panel prefetches the one ahead.
                const _Float16 *pf = half == 0 && r == 0 ? ahead : NULL;
                glossa_half_gemm_avx2_groups[group - 1](xr, ldx, panel, k, half, pf, out, ldy, width, beta);
            }
        }
    }
}
#endif

void glossa_half_gemm_at(int level, int m, const float *x, size_t ldx, const void *panels, size_t k,
                         size_t firstPanel, size_t panelCount, size_t n, float *y, size_t ldy, float beta) {
#if defined(__x86_64__)
    const _Float16 *w = (const _Float16 *)panels;
    if (level >= 2) {
        glossa_half_gemm_avx512_rows[m - 1](x, ldx, w, k, firstPanel, panelCount, n, y, ldy, beta);
        return;
    }
    if (level == 1) {
        glossa_half_gemm_avx2(m, x, ldx, w, k, firstPanel, panelCount, n, y, ldy, beta);
        return;
    }
#endif
    glossa_half_gemm_scalar(m, x, ldx, panels, k, firstPanel, panelCount, n, y, ldy, beta);
}
