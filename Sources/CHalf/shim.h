// fp16 → fp32 widening of 16 values at once, which Swift cannot inline: its
// SIMD16<Float>(SIMD16<Float16>) stays a call inside SkinnyGemm's loop (measured: the call took
// 6% of a beam step and the fp16 kernel ran slower than the fp32 one). Clang's vector
// conversion compiles to two vcvtph2ps where the target has F16C (-target-cpu haswell) and to
// a portable sequence elsewhere; the vector type imports into Swift as SIMD16<Float>.
typedef float glossa_f32x16 __attribute__((ext_vector_type(16)));
typedef _Float16 glossa_f16x16 __attribute__((ext_vector_type(16), aligned(2)));

static inline glossa_f32x16 glossa_widen16(const void *src) {
    return __builtin_convertvector(*(const glossa_f16x16 *)src, glossa_f32x16);
}
