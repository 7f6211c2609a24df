/* glibc's vector math library (libmvec, glibc >= 2.35): tanh, expm1 and exp on
   2 (SSE4) or 4 (AVX2) doubles at a time, within 4 ulp (libm's scalar calls cost
   5-10x more). The vector calls take __m128d/__m256d, which Swift cannot pass,
   so these loops do; dl_vec_level picks the variant: 2 = AVX2+FMA, 1 = SSE,
   0 = libm's scalar calls (no libmvec here). Same CPU tier, same bits. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#include <immintrin.h>
#define DL_HAVE_MVEC 1
__m128d _ZGVbN2v_tanh(__m128d);
__m128d _ZGVbN2v_expm1(__m128d);
__m128d _ZGVbN2v_exp(__m128d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_tanh(__m256d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_expm1(__m256d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_exp(__m256d);

#define DL_SSE_LOOP(name, f)                                                   \
    static inline void name(double *x, size_t n) {                             \
        size_t i = 0;                                                          \
        for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, f(_mm_loadu_pd(x + i))); \
        if (i < n) {                                                           \
            double t[2] = {x[i], 0};                                           \
            _mm_storeu_pd(t, f(_mm_loadu_pd(t)));                              \
            x[i] = t[0];                                                       \
        }                                                                      \
    }
#define DL_AVX2_LOOP(name, f)                                                  \
    __attribute__((target("avx2,fma"))) static inline void name(double *x, size_t n) { \
        size_t i = 0;                                                          \
        for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, f(_mm256_loadu_pd(x + i))); \
        if (i < n) {                                                           \
            double t[4] = {0, 0, 0, 0};                                        \
            memcpy(t, x + i, (n - i) * sizeof(double));                        \
            _mm256_storeu_pd(t, f(_mm256_loadu_pd(t)));                        \
            memcpy(x + i, t, (n - i) * sizeof(double));                        \
        }                                                                      \
    }
/* CELU (α = 1): x < 0 ? expm1(x) : x, as expm1(min(x, 0)) blended. */
static inline __m128d dl_celu2(__m128d v) {
    __m128d e = _ZGVbN2v_expm1(_mm_min_pd(v, _mm_setzero_pd()));
    __m128d neg = _mm_cmplt_pd(v, _mm_setzero_pd());
    return _mm_or_pd(_mm_and_pd(neg, e), _mm_andnot_pd(neg, v));
}
__attribute__((target("avx2,fma"))) static inline __m256d dl_celu4(__m256d v) {
    __m256d e = _ZGVdN4v_expm1(_mm256_min_pd(v, _mm256_setzero_pd()));
    return _mm256_blendv_pd(v, e, _mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_LT_OQ));
}
DL_SSE_LOOP(dl_celu_sse, dl_celu2)
DL_AVX2_LOOP(dl_celu_avx2, dl_celu4)
DL_SSE_LOOP(dl_tanh_sse, _ZGVbN2v_tanh)
DL_SSE_LOOP(dl_expm1_sse, _ZGVbN2v_expm1)
DL_SSE_LOOP(dl_exp_sse, _ZGVbN2v_exp)
DL_AVX2_LOOP(dl_tanh_avx2, _ZGVdN4v_tanh)
DL_AVX2_LOOP(dl_expm1_avx2, _ZGVdN4v_expm1)
DL_AVX2_LOOP(dl_exp_avx2, _ZGVdN4v_exp)
#endif

/* 1 when libmvec's loops are built in. */
static inline int dl_vec_available(void) {
#ifdef DL_HAVE_MVEC
    return 1;
#else
    return 0;
#endif
}

/* x[i] = f(x[i]) for f = 0 tanh, 1 expm1, 2 exp, 3 CELU, at variant `level`. */
static inline void dl_vec_apply(int f, int level, double *x, size_t n) {
#ifdef DL_HAVE_MVEC
    if (level >= 2) {
        switch (f) {
        case 0: dl_tanh_avx2(x, n); return;
        case 1: dl_expm1_avx2(x, n); return;
        case 2: dl_exp_avx2(x, n); return;
        default: dl_celu_avx2(x, n); return;
        }
    }
    if (level == 1) {
        switch (f) {
        case 0: dl_tanh_sse(x, n); return;
        case 1: dl_expm1_sse(x, n); return;
        case 2: dl_exp_sse(x, n); return;
        default: dl_celu_sse(x, n); return;
        }
    }
#endif
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        x[i] = f == 0 ? tanh(v) : f == 1 ? expm1(v) : f == 2 ? exp(v) : (v < 0 ? expm1(v) : v);
    }
}
