// The VAE's loss terms as single kernels (src/engine/native/kernels/fused-losses.ts registers them; the ops and their
// gradients are in src/engine/kernels/fused-losses.ts; the formulas, their sources and the composite TF.js forms are in
// src/models/losses.ts). The element-wise float32 operations are those of the composite forms, in their order;
// per-example sums accumulate in double, as the Sum kernel does. Rows are the last axis (D values); an input of fewer
// elements repeats over the leading rows (x [n, D] against logits [k, n, D], the posterior [n, L] against noise
// [k, n, L]).
#include "common.h"

namespace genlab {

namespace {

// Rows [r0, r1) of the two kernels below (functions of their own, called from the shared chunks: with the pointers as
// parameters the loops vectorise).
void bernoulliRows(const float* x, const float* l, float* out, int64_t D, int64_t xRows, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* lr = l + r * D;
    const float* xr = x + (r % xRows) * D;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t d = 0; d < D; d++) {
      const float v = lr[d];
      s += ((v > 0 ? v : (std::isnan(v) ? v : 0.f)) - v * xr[d]) + std::log1p(std::exp(-std::fabs(v)));
    }
    out[r] = -static_cast<float>(s);
  }
}

void bernoulliGradRows(const float* dy, const float* x, const float* l, float* out, int64_t D, int64_t xRows, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* lr = l + r * D;
    const float* xr = x + (r % xRows) * D;
    float* o = out + r * D;
    const float g = dy[r];
#pragma omp simd
    for (int64_t d = 0; d < D; d++) o[d] = (xr[d] - 1.f / (1.f + std::exp(-lr[d]))) * g;
  }
}

}  // namespace

// bernoulliLogLikelihood(x, logits, out, D): out[r] = −Σ_d [max(l, 0) − l·x + log1p(exp(−|l|))] over row r.
napi_value BernoulliLogLikelihood(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, ll = 0, lo = 0;
  const float* x = a.f(0, &lx); const float* l = a.f(1, &ll); float* out = a.f(2, &lo);
  const int64_t D = a.i(3);
  if (!a.ok) return nullptr;
  if (D <= 0 || lx == 0 || ll % D != 0 || lx % D != 0 || ll % lx != 0 || lo != ll / D) { a.fail("bernoulliLogLikelihood: lengths"); return nullptr; }
  const int64_t rows = lo, xRows = lx / D;
  shareRows(rows, D, [=](int64_t r0, int64_t r1) { bernoulliRows(x, l, out, D, xRows, r0, r1); });
  return nullptr;
}

// bernoulliLogLikelihoodGrad(dy, x, logits, out, D): ∂/∂l of the above times dy: out = (x − σ(l))·dy[r].
napi_value BernoulliLogLikelihoodGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ldy = 0, lx = 0, ll = 0, lo = 0;
  const float* dy = a.f(0, &ldy); const float* x = a.f(1, &lx); const float* l = a.f(2, &ll); float* out = a.f(3, &lo);
  const int64_t D = a.i(4);
  if (!a.ok) return nullptr;
  if (D <= 0 || lx == 0 || ll % D != 0 || lx % D != 0 || ll % lx != 0 || ldy != ll / D || lo != ll) {
    a.fail("bernoulliLogLikelihoodGrad: lengths"); return nullptr;
  }
  const int64_t rows = ldy, xRows = lx / D;
  shareRows(rows, D, [=](int64_t r0, int64_t r1) { bernoulliGradRows(dy, x, l, out, D, xRows, r0, r1); });
  return nullptr;
}

// klStandardNormal(mean, logVar, out, L): out[r] = −½ Σ_j (1 + lv − m² − exp(lv)) over row r.
napi_value KlStandardNormal(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lm = 0, lv = 0, lo = 0;
  const float* m = a.f(0, &lm); const float* v = a.f(1, &lv); float* out = a.f(2, &lo);
  const int64_t L = a.i(3);
  if (!a.ok) return nullptr;
  if (L <= 0 || lm != lv || lm % L != 0 || lo != lm / L) { a.fail("klStandardNormal: lengths"); return nullptr; }
  for (int64_t r = 0; r < static_cast<int64_t>(lo); r++) {
    const float *mr = m + r * L, *vr = v + r * L;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < L; j++) s += ((vr[j] + 1.f) - mr[j] * mr[j]) - std::exp(vr[j]);
    out[r] = static_cast<float>(s) * -0.5f;
  }
  return nullptr;
}

// klStandardNormalGrad(dy, mean, logVar, dMean, dLogVar, L): ∂KL/∂m = m, ∂KL/∂lv = ½(exp(lv) − 1), times dy[r].
napi_value KlStandardNormalGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ldy = 0, lm = 0, lv = 0, l1 = 0, l2 = 0;
  const float* dy = a.f(0, &ldy); const float* m = a.f(1, &lm); const float* v = a.f(2, &lv);
  float* dm = a.f(3, &l1); float* dv = a.f(4, &l2);
  const int64_t L = a.i(5);
  if (!a.ok) return nullptr;
  if (L <= 0 || lm != lv || l1 != lm || l2 != lm || lm % L != 0 || ldy != lm / L) { a.fail("klStandardNormalGrad: lengths"); return nullptr; }
  for (int64_t r = 0; r < static_cast<int64_t>(ldy); r++) {
    const float g = dy[r], h = 0.5f * g;
#pragma omp simd
    for (int64_t j = r * L; j < (r + 1) * L; j++) {
      dm[j] = m[j] * g;
      dv[j] = h * (std::exp(v[j]) - 1.f);
    }
  }
  return nullptr;
}

// reparameterize(mean, logVar, eps, z): z = m + exp(lv·½)·ε (mean and logVar repeat over eps's leading rows).
napi_value Reparameterize(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lm = 0, lv = 0, le = 0, lz = 0;
  const float* m = a.f(0, &lm); const float* v = a.f(1, &lv); const float* e = a.f(2, &le); float* z = a.f(3, &lz);
  if (!a.ok) return nullptr;
  if (lm == 0 || lm != lv || le % lm != 0 || lz != le) { a.fail("reparameterize: lengths"); return nullptr; }
  const int64_t P = lm;
  for (int64_t k = 0; k < static_cast<int64_t>(le) / P; k++) {
    const float* ek = e + k * P;
    float* zk = z + k * P;
#pragma omp simd
    for (int64_t j = 0; j < P; j++) zk[j] = m[j] + std::exp(v[j] * 0.5f) * ek[j];
  }
  return nullptr;
}

// reparameterizeGrad(dz, logVar, eps, dMean, dLogVar): summed over eps's leading rows (in double when there are
// several), dMean = Σ dz, dLogVar = (Σ dz·ε)·exp(lv·½)·½ (the composite's order: Mul, Exp, Mul gradients).
napi_value ReparameterizeGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ldz = 0, lv = 0, le = 0, l1 = 0, l2 = 0;
  const float* dz = a.f(0, &ldz); const float* v = a.f(1, &lv); const float* e = a.f(2, &le);
  float* dm = a.f(3, &l1); float* dv = a.f(4, &l2);
  if (!a.ok) return nullptr;
  if (lv == 0 || ldz != le || le % lv != 0 || l1 != lv || l2 != lv) { a.fail("reparameterizeGrad: lengths"); return nullptr; }
  const int64_t P = lv, K = le / lv;
  if (K == 1) {
#pragma omp simd
    for (int64_t j = 0; j < P; j++) {
      dm[j] = dz[j];
      dv[j] = ((dz[j] * e[j]) * std::exp(v[j] * 0.5f)) * 0.5f;
    }
    return nullptr;
  }
  std::vector<double> sm(P, 0.0), se(P, 0.0);
  for (int64_t k = 0; k < K; k++) {
    const float *dk = dz + k * P, *ek = e + k * P;
#pragma omp simd
    for (int64_t j = 0; j < P; j++) { sm[j] += dk[j]; se[j] += dk[j] * ek[j]; }  // float products, as TF.js's Multiply
  }
  for (int64_t j = 0; j < P; j++) {
    dm[j] = static_cast<float>(sm[j]);
    dv[j] = (static_cast<float>(se[j]) * std::exp(v[j] * 0.5f)) * 0.5f;
  }
  return nullptr;
}

}  // namespace genlab
