// The optimiser update: Adam for one variable in one pass over memory.
#include "common.h"

namespace genlab {

namespace {

// Elements [i0, i1) (a function of its own, so that the loop vectorises with its pointers and scalars as parameters).
// With kDecay, the gradient is g + x·decay first: L2 weight decay, as autodiff of (decay/2)·‖x‖² would add it.
template <bool kDecay>
void adamRange(const float* x, const float* m, const float* v, const float* g, float* ox, float* om, float* ov, int64_t i0,
               int64_t i1, float negLr, float omb1, float omb2, float b1, float b2, float eps, float c1, float c2, float decay) {
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    const float gi = kDecay ? g[i] + x[i] * decay : g[i];
    const float mi = m[i] * b1 + gi * omb1;
    const float vi = v[i] * b2 + (gi * gi) * omb2;
    om[i] = mi;
    ov[i] = vi;
    ox[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr + x[i];
  }
}

}  // namespace

// adam(x, m, v, g, outX, outM, outV, learningRate, oneMinusBeta1, oneMinusBeta2, beta1, beta2, epsilon, oneMinusAccBeta1,
// oneMinusAccBeta2, decay): TF.js's AdamOptimizer update (Kingma & Ba 2015, Algorithm 1) for one variable in one pass
// over memory, in the same order of float32 operations as its separate kernels: m' = m·β1 + g·(1−β1),
// v' = v·β2 + g²·(1−β2), x' = (m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε) · (−lr) + x; with decay ≠ 0, g is g + x·decay
// (L2 weight decay folded in, PyTorch's Adam `weight_decay`). The scalars arrive as float32 values computed in
// JavaScript, as TF.js computes them.
napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0, lm = 0, lv = 0, lg = 0, lox = 0, lom = 0, lov = 0;
  const float* x = a.f(0, &n); const float* m = a.f(1, &lm); const float* v = a.f(2, &lv); const float* g = a.f(3, &lg);
  float* ox = a.f(4, &lox); float* om = a.f(5, &lom); float* ov = a.f(6, &lov);
  const float negLr = static_cast<float>(-a.d(7)), omb1 = static_cast<float>(a.d(8)), omb2 = static_cast<float>(a.d(9));
  const float b1 = static_cast<float>(a.d(10)), b2 = static_cast<float>(a.d(11)), eps = static_cast<float>(a.d(12));
  const float c1 = static_cast<float>(a.d(13)), c2 = static_cast<float>(a.d(14)), decay = static_cast<float>(a.d(15));
  if (!a.ok) return nullptr;
  if (lm != n || lv != n || lg != n || lox != n || lom != n || lov != n) { a.fail("adam: lengths"); return nullptr; }
  const int64_t len = static_cast<int64_t>(n);
  // Out may be the same array as in (an update in place, src/engine/native/kernels/adam.ts): each element is read
  // before it is written. Large variables are shared between workers in chunks (pool.h).
  shareElements(len, [=](int64_t i0, int64_t i1) {
    if (decay != 0.0f) adamRange<true>(x, m, v, g, ox, om, ov, i0, i1, negLr, omb1, omb2, b1, b2, eps, c1, c2, decay);
    else adamRange<false>(x, m, v, g, ox, om, ov, i0, i1, negLr, omb1, omb2, b1, b2, eps, c1, c2, 0.0f);
  });
  return nullptr;
}

}  // namespace genlab
