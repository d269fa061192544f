/* Fused element-wise passes of paper 1's MLP training step (grok_core/fused.py calls them through ctypes).

   The step's matmuls stay torch's (bmm / baddbmm); what is fused here is the element-wise work between them,
   which the eager step spreads over ~35 MB of memory traffic per model-step:
     gelu_gather      pre = A[a] + B[b] + b1,  h = GELU(pre),  g = GELU'(pre)            (one pass, two writes)
     xent_backward    dlogits = (softmax(logits) - onehot(y)) / N in place, db2 = Σ_n dlogits
     gelu_scatter     dpre = dh · g (never stored): db1 += dpre, dA[a] += dpre, dB[b] += dpre
     adamw            decoupled decay, both moments and the bias-corrected update in one pass per tensor
   Every array is fp32, C-contiguous, with a leading member axis M; indices are int64.

   GELU is the exact (erf) form torch's F.gelu computes; erf uses the same Abramowitz–Stegun 7.1.26 rational
   form as ATen's vectorised CPU erf, and exp a Cody–Waite reduction with Cephes' degree-5 polynomial (~1 ulp),
   written for 8 AVX2 lanes (gcc -O3 -march=x86-64-v3). Results differ from the eager step in the last bits. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* exp and erf, each in an 8-lane AVX2 form and a scalar form with the same operations (fmaf where the vector
   form fuses), so a tail element rounds as a lane would */
#define EXP_LO -87.0f
#define EXP_HI 88.0f
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO 2.12194440e-4f                  /* ln 2 = LN2_HI - LN2_LO (Cody–Waite) */
static const float EXP_P[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
                               1.6666665459e-1f, 5.0000001201e-1f};
static const float ERF_A[5] = {1.061405429f, -1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f};
#define ERF_P 0.3275911f

static inline float exp1(float x) {
    x = fminf(fmaxf(x, EXP_LO), EXP_HI);
    float n = floorf(fmaf(x, LOG2E, 0.5f));
    float r = fmaf(n, LN2_LO, fmaf(-n, LN2_HI, x));
    float p = EXP_P[0];
    for (int i = 1; i < 6; i++) p = fmaf(p, r, EXP_P[i]);
    float y = fmaf(p, r * r, r) + 1.0f;
    union { int32_t i; float f; } u = {.i = ((int32_t)n + 127) << 23};
    return y * u.f;
}

static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(EXP_LO)), _mm256_set1_ps(EXP_HI));
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(LOG2E), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(LN2_LO), _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x));
    __m256 p = _mm256_set1_ps(EXP_P[0]);
    for (int i = 1; i < 6; i++) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P[i]));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT2PI 0.39894228040143268f

/* h = x·Φ(x) and g = Φ(x) + x·φ(x), the exact GELU and its derivative. Φ(x) = (1 + erf(z)) / 2 with
   z = x/√2, erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7; the form of ATen's vectorised CPU erf),
   whose e^{-z²} is also φ(x)·√(2π): one exp per element serves both. */
static inline void gelu1(float x, float *h, float *g) {
    float z = x * INV_SQRT2, az = fabsf(z);
    float t = 1.0f / fmaf(ERF_P, az, 1.0f);
    float p = ERF_A[0];
    for (int i = 1; i < 5; i++) p = fmaf(p, t, ERF_A[i]);
    float e = exp1(-(az * az));
    float erf = copysignf(fmaf(-(p * t), e, 1.0f), z);
    float cdf = 0.5f * (1.0f + erf);
    *h = x * cdf;
    *g = fmaf(x * INV_SQRT2PI, e, cdf);
}

static inline void gelu8(__m256 x, __m256 *h, __m256 *g) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(INV_SQRT2));
    __m256 az = _mm256_andnot_ps(sign, z);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(ERF_P), az, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(ERF_A[0]);
    for (int i = 1; i < 5; i++) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(ERF_A[i]));
    __m256 e = exp8(_mm256_xor_ps(_mm256_mul_ps(az, az), sign));
    __m256 erf = _mm256_or_ps(_mm256_fnmadd_ps(_mm256_mul_ps(p, t), e, _mm256_set1_ps(1.0f)), _mm256_and_ps(z, sign));
    __m256 cdf = _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
    *h = _mm256_mul_ps(x, cdf);
    *g = _mm256_fmadd_ps(_mm256_mul_ps(x, _mm256_set1_ps(INV_SQRT2PI)), e, cdf);
}

void gelu_gather(const float *A, const float *B, const float *b1, const int64_t *a, const int64_t *b,
                 float *h, float *g, int64_t M, int64_t N, int64_t P, int64_t H) {
    const float inv_sqrt2 = 0.70710678118654752f, inv_sqrt2pi = 0.39894228040143268f;
    for (int64_t m = 0; m < M; m++) {
        const float *Am = A + m * P * H, *Bm = B + m * P * H, *bm = b1 + m * H;
        for (int64_t n = 0; n < N; n++) {
            const float *ra = Am + a[m * N + n] * H, *rb = Bm + b[m * N + n] * H;
            float *ho = h + (m * N + n) * H, *go = g + (m * N + n) * H;
            int64_t k = 0;
            for (; k + 8 <= H; k += 8) {
                __m256 x = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(ra + k), _mm256_loadu_ps(rb + k)),
                                         _mm256_loadu_ps(bm + k));
                __m256 hv, gv;
                gelu8(x, &hv, &gv);
                _mm256_storeu_ps(ho + k, hv);
                _mm256_storeu_ps(go + k, gv);
            }
            for (; k < H; k++) gelu1((ra[k] + rb[k]) + bm[k], ho + k, go + k);
        }
    }
}

void xent_backward(float *logits, const int64_t *y, float *db2, int64_t M, int64_t N, int64_t C) {
    const float inv_n = 1.0f / (float)N;
    for (int64_t m = 0; m < M; m++) {
        float *d = db2 + m * C;
        for (int64_t c = 0; c < C; c++) d[c] = 0.0f;
        for (int64_t n = 0; n < N; n++) {
            float *row = logits + (m * N + n) * C;
            float mx = row[0];
            for (int64_t c = 1; c < C; c++) mx = fmaxf(mx, row[c]);
            int64_t c = 0;
            __m256 acc = _mm256_setzero_ps();
            for (; c + 8 <= C; c += 8) {
                __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + c), _mm256_set1_ps(mx)));
                _mm256_storeu_ps(row + c, e);
                acc = _mm256_add_ps(acc, e);
            }
            float lanes[8], sum = 0.0f;
            _mm256_storeu_ps(lanes, acc);
            for (int i = 0; i < 8; i++) sum += lanes[i];
            for (; c < C; c++) {
                row[c] = exp1(row[c] - mx);
                sum += row[c];
            }
            const float scale = inv_n / sum;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) row[c] *= scale;
            row[y[m * N + n]] -= inv_n;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) d[c] += row[c];
        }
    }
}

/* The same on logits laid out class-major, [M, C, N] (what W2ᵀ·hᵀ gives): the softmax over c runs down the
   columns, so every pass is a contiguous loop over the examples n. Returns -1 if scratch memory ran out. */
int xent_backward_t(float *logits, const int64_t *y, float *db2, int64_t M, int64_t N, int64_t C) {
    const float inv_n = 1.0f / (float)N;
    float *mx = malloc(sizeof(float) * N), *sum = malloc(sizeof(float) * N);
    if (!mx || !sum) {
        free(mx);
        free(sum);
        return -1;
    }
    for (int64_t m = 0; m < M; m++) {
        float *L = logits + m * C * N;
        memcpy(mx, L, sizeof(float) * N);
        for (int64_t c = 1; c < C; c++)
            for (int64_t n = 0; n < N; n++) mx[n] = fmaxf(mx[n], L[c * N + n]);
        memset(sum, 0, sizeof(float) * N);
        for (int64_t c = 0; c < C; c++) {
            float *row = L + c * N;
            int64_t n = 0;
            for (; n + 8 <= N; n += 8) {
                __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + n), _mm256_loadu_ps(mx + n)));
                _mm256_storeu_ps(row + n, e);
                _mm256_storeu_ps(sum + n, _mm256_add_ps(_mm256_loadu_ps(sum + n), e));
            }
            for (; n < N; n++) {
                row[n] = exp1(row[n] - mx[n]);
                sum[n] += row[n];
            }
        }
        for (int64_t n = 0; n < N; n++) sum[n] = inv_n / sum[n];
        for (int64_t c = 0; c < C; c++) {
            float *row = L + c * N;
            for (int64_t n = 0; n < N; n++) row[n] *= sum[n];
        }
        for (int64_t n = 0; n < N; n++) L[y[m * N + n] * N + n] -= inv_n;
        for (int64_t c = 0; c < C; c++) {
            const float *row = L + c * N;
            float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
            for (int64_t n = 0; n < N; n++) acc += row[n];
            db2[m * C + c] = acc;
        }
    }
    free(mx);
    free(sum);
    return 0;
}

void gelu_scatter(const float *dh, const float *g, const int64_t *a, const int64_t *b, float *dA, float *dB,
                  float *db1, int64_t M, int64_t N, int64_t P, int64_t H) {
    memset(dA, 0, sizeof(float) * M * P * H);
    memset(dB, 0, sizeof(float) * M * P * H);
    memset(db1, 0, sizeof(float) * M * H);
    for (int64_t m = 0; m < M; m++) {
        float *dAm = dA + m * P * H, *dBm = dB + m * P * H, *dbm = db1 + m * H;
        for (int64_t n = 0; n < N; n++) {
            const float *dhn = dh + (m * N + n) * H, *gn = g + (m * N + n) * H;
            float *ra = dAm + a[m * N + n] * H, *rb = dBm + b[m * N + n] * H;
#pragma omp simd
            for (int64_t k = 0; k < H; k++) {
                float v = dhn[k] * gn[k];
                dbm[k] += v;
                ra[k] += v;
                rb[k] += v;
            }
        }
    }
}

void adamw(float *p, const float *grad, float *m1, float *m2, const float *lr, const float *wd, int decay,
           float beta1, float one_minus_beta1, float beta2, float one_minus_beta2, float eps, float bc1,
           float sqrt_bc2, int64_t M, int64_t K) {
    /* torch.optim.AdamW's update as grok_core.optim.BatchedAdamW writes it, member m with lr[m], wd[m] */
    for (int64_t m = 0; m < M; m++) {
        const float shrink = decay ? 1.0f - lr[m] * wd[m] : 1.0f, step = lr[m] / bc1;
        float *pm = p + m * K, *am = m1 + m * K, *vm = m2 + m * K;
        const float *gm = grad + m * K;
#pragma omp simd
        for (int64_t k = 0; k < K; k++) {
            float gk = gm[k];
            float w = pm[k] * shrink;
            float mk = am[k] * beta1 + one_minus_beta1 * gk;
            float vk = vm[k] * beta2 + (one_minus_beta2 * gk) * gk;
            am[k] = mk;
            vm[k] = vk;
            pm[k] = w - step * mk / (sqrtf(vk) / sqrt_bc2 + eps);
        }
    }
}
