// Batch normalisation: the inference form (FusedBatchNorm) and its gradient, and the training form (the batch's
// moments and the normalised output in one kernel) and its gradient through the batch statistics.
#include "common.h"

namespace genlab {
namespace {

// out = add + (x − mean)·mul per channel over x [rows, C], in double; row by row (no modulo per element, so the inner
// loop vectorises).
void normalizeRange(const float* x, const float* mean, const double* mul, const double* add, float* out, int64_t r0, int64_t r1, int64_t C) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * C;
    float* o = out + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = static_cast<float>(add[c] + (double(xr[c]) - mean[c]) * mul[c]);
  }
}

// (The rows of each shared chunk in a function of their own: with its pointers as parameters, not captured by the
// lambda, the loop vectorises.)
void normalizeRows(const float* x, const float* mean, const double* mul, const double* add, float* out, int64_t rows, int64_t C) {
  shareRows(rows, C, [=](int64_t r0, int64_t r1) { normalizeRange(x, mean, mul, add, out, r0, r1, C); });
}

// dx = A·dy + B·(x − μ) + D per channel over rows [r0, r1) (BatchNormTrainingGrad).
void trainingGradRange(const float* x, const float* dy, const float* mean, const double* Ap, const double* Bp, const double* Dp,
                       float* dx, int64_t r0, int64_t r1, int64_t C) {
  for (int64_t row = r0; row < r1; row++) {
    const float *xr = x + row * C, *dyr = dy + row * C;
    float* o = dx + row * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = static_cast<float>(Ap[c] * dyr[c] + Bp[c] * (double(xr[c]) - mean[c]) + Dp[c]);
  }
}

}  // namespace

// batchNorm(x, mean, variance, offset|null, scale|null, eps, out): as the cpu kernel, parameters indexed modulo
// their length, computed in double.
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, lm = 0, lv = 0, lof = 0, ls = 0, lo = 0;
  const float* x = a.f(0, &lx); const float* m = a.f(1, &lm); const float* v = a.f(2, &lv);
  const float* offset = a.f(3, &lof, true); const float* scale = a.f(4, &ls, true);
  const double eps = a.d(5);
  float* out = a.f(6, &lo);
  if (!a.ok) return nullptr;
  if (lx != lo || lm == 0 || lv == 0 || (offset && lof == 0) || (scale && ls == 0)) { a.fail("batchNorm: lengths"); return nullptr; }
  const int64_t n = lx;
  if (lm == lv && (!offset || lof == lm) && (!scale || ls == lm) && n % static_cast<int64_t>(lm) == 0) {
    // The usual case: one value per channel (the last dim). Per-channel factors first.
    const int64_t C = lm;
    std::vector<double> mul(C), add(C);
    for (int64_t c = 0; c < C; c++) {
      const double sc = scale ? scale[c] : 1.0;
      mul[c] = sc / std::sqrt(double(v[c]) + eps);
      add[c] = offset ? offset[c] : 0.0;
    }
    normalizeRows(x, m, mul.data(), add.data(), out, n / C, C);
    return nullptr;
  }
  for (int64_t i = 0; i < n; i++) {
    const double sc = scale ? scale[i % ls] : 1.0, of = offset ? offset[i % lof] : 0.0;
    out[i] = static_cast<float>(of + (double(x[i]) - m[i % lm]) * sc / std::sqrt(double(v[i % lv]) + eps));
  }
  return nullptr;
}

// batchNormGrad(x, mean, variance, scale|null, dy, eps, dx, dMean, dVariance, dScale, dOffset): the gradient of
// FusedBatchNorm over x [rows, C] with per-channel mean, variance, scale (TF.js's batchNormGradConfig, in one pass
// instead of ~12 full-size element-wise kernels and 4 reductions). With inv = rsqrt(variance + ε) as TF.js rounds it
// (float32 sum, float32 result): dx = dy·inv·scale (TF.js's float32 order), and with S1 = Σ dy, S2 = Σ dy·(x − mean)
// over the rows (in double): dMean = −inv·scale·S1, dVariance = −½·inv³·scale·S2, dScale = inv·S2, dOffset = S1.
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, lm = 0, lv = 0, ls = 0, ldy = 0, ldx = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0;
  const float* x = a.f(0, &lx); const float* m = a.f(1, &lm); const float* v = a.f(2, &lv);
  const float* scale = a.f(3, &ls, true); const float* dy = a.f(4, &ldy);
  const float eps = static_cast<float>(a.d(5));
  float* dx = a.f(6, &ldx); float* dMean = a.f(7, &l1); float* dVar = a.f(8, &l2); float* dScale = a.f(9, &l3); float* dOff = a.f(10, &l4);
  if (!a.ok) return nullptr;
  const int64_t C = static_cast<int64_t>(lm), n = static_cast<int64_t>(lx);
  if (C == 0 || lv != lm || (scale && ls != lm) || ldy != lx || ldx != lx || n % C != 0 || l1 != lm || l2 != lm || l3 != lm || l4 != lm) {
    a.fail("batchNormGrad: lengths"); return nullptr;
  }
  std::vector<float> inv(C), sc(C);
  for (int64_t c = 0; c < C; c++) {
    inv[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v[c] + eps)));
    sc[c] = scale ? scale[c] : 1.f;
  }
  std::vector<double> s1(C, 0.0), s2(C, 0.0);
  const float *invp = inv.data(), *scp = sc.data();
  double *s1p = s1.data(), *s2p = s2.data();
  for (int64_t r = 0; r < n / C; r++) {
    const float *xr = x + r * C, *dyr = dy + r * C;
    float* dxr = dx + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      const float g = dyr[c];
      dxr[c] = (g * invp[c]) * scp[c];
      s1p[c] += g;
      s2p[c] += static_cast<double>(g) * (xr[c] - m[c]);
    }
  }
  for (int64_t c = 0; c < C; c++) {
    const double i = inv[c], s = sc[c];
    dMean[c] = static_cast<float>(-i * s * s1[c]);
    dVar[c] = static_cast<float>(-0.5 * i * i * i * s * s2[c]);
    dScale[c] = static_cast<float>(i * s2[c]);
    dOff[c] = static_cast<float>(s1[c]);
  }
  return nullptr;
}

// batchNormTraining(x, gamma, beta, eps, y, mean, variance): training-mode batch normalisation over x [rows, C]
// (Ioffe & Szegedy 2015, Algorithm 1) in three passes instead of TF.js's moments + batchNorm (≈8 kernels): the batch
// mean and biased variance per channel (sums in double, two-pass), then y = β + (x − μ)·γ/√(σ² + ε) in double, as the
// FusedBatchNorm kernel computes it from the float32 μ and σ².
napi_value BatchNormTraining(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, lg = 0, lb = 0, ly = 0, lm = 0, lv = 0;
  const float* x = a.f(0, &lx); const float* gamma = a.f(1, &lg); const float* beta = a.f(2, &lb);
  const double eps = a.d(3);
  float* y = a.f(4, &ly); float* mean = a.f(5, &lm); float* variance = a.f(6, &lv);
  if (!a.ok) return nullptr;
  const int64_t C = static_cast<int64_t>(lg), n = static_cast<int64_t>(lx);
  if (C == 0 || n == 0 || n % C != 0 || lb != lg || ly != lx || lm != lg || lv != lg) { a.fail("batchNormTraining: lengths"); return nullptr; }
  const int64_t rows = n / C;
  std::vector<double> sum(C, 0.0), dev(C, 0.0), mul(C), add(C);
  double *sp = sum.data(), *dp = dev.data();
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) sp[c] += xr[c];
  }
  for (int64_t c = 0; c < C; c++) mean[c] = static_cast<float>(sum[c] / double(rows));
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) { const double d = double(xr[c]) - mean[c]; dp[c] += d * d; }
  }
  for (int64_t c = 0; c < C; c++) {
    variance[c] = static_cast<float>(dev[c] / double(rows));
    mul[c] = double(gamma[c]) / std::sqrt(double(variance[c]) + eps);
    add[c] = beta[c];
  }
  normalizeRows(x, mean, mul.data(), add.data(), y, rows, C);
  return nullptr;
}

// batchNormTrainingGrad(dy, x, mean, variance, gamma, dMean, dVariance, eps, dx, dGamma, dBeta): the gradient of
// batchNormTraining through its batch statistics, in two passes. With r = 1/√(σ² + ε), x̂ = (x − μ)·r, N rows, and
// gμ, gσ² the gradients reaching the mean and variance outputs (zeros when only y is used):
//   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γr·(dy − dβ/N − x̂·dγ/N) + gμ/N + gσ²·2(x − μ)/N   (sums over rows, in double).
napi_value BatchNormTrainingGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ldy = 0, lx = 0, lm = 0, lv = 0, lg = 0, lgm = 0, lgv = 0, ldx = 0, ldg = 0, ldb = 0;
  const float* dy = a.f(0, &ldy); const float* x = a.f(1, &lx); const float* mean = a.f(2, &lm);
  const float* variance = a.f(3, &lv); const float* gamma = a.f(4, &lg);
  const float* gMean = a.f(5, &lgm); const float* gVar = a.f(6, &lgv);
  const double eps = a.d(7);
  float* dx = a.f(8, &ldx); float* dGamma = a.f(9, &ldg); float* dBeta = a.f(10, &ldb);
  if (!a.ok) return nullptr;
  const int64_t C = static_cast<int64_t>(lm), n = static_cast<int64_t>(lx);
  if (C == 0 || n % C != 0 || ldy != lx || ldx != lx || lv != lm || lg != lm || lgm != lm || lgv != lm || ldg != lm || ldb != lm) {
    a.fail("batchNormTrainingGrad: lengths"); return nullptr;
  }
  const int64_t rows = n / C;
  std::vector<double> r(C), s1(C, 0.0), s2(C, 0.0);
  for (int64_t c = 0; c < C; c++) r[c] = 1.0 / std::sqrt(double(variance[c]) + eps);
  double *s1p = s1.data(), *s2p = s2.data();
  for (int64_t row = 0; row < rows; row++) {
    const float *xr = x + row * C, *dyr = dy + row * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) { s1p[c] += dyr[c]; s2p[c] += double(dyr[c]) * (double(xr[c]) - mean[c]); }
  }
  // dx = A·dy + B·(x − μ) + D per channel, from the formula above.
  std::vector<double> A(C), B(C), D(C);
  const double N = double(rows);
  for (int64_t c = 0; c < C; c++) {
    const double dbeta = s1[c], dgamma = s2[c] * r[c], gr = double(gamma[c]) * r[c];
    dBeta[c] = static_cast<float>(dbeta);
    dGamma[c] = static_cast<float>(dgamma);
    A[c] = gr;
    B[c] = -gr * r[c] * dgamma / N + 2.0 * gVar[c] / N;
    D[c] = -gr * dbeta / N + gMean[c] / N;
  }
  const double *Ap = A.data(), *Bp = B.data(), *Dp = D.data();
  shareRows(rows, C, [=](int64_t r0, int64_t r1) { trainingGradRange(x, dy, mean, Ap, Bp, Dp, dx, r0, r1, C); });
  return nullptr;
}

}  // namespace genlab
