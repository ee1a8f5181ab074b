// The optimiser update: Adam for one variable in one pass over memory.
#include "common.h"

namespace genlab {

// adam(x, m, v, g, outX, outM, outV, learningRate, oneMinusBeta1, oneMinusBeta2, beta1, beta2, epsilon, oneMinusAccBeta1,
// oneMinusAccBeta2): TF.js's AdamOptimizer update (Kingma & Ba 2015, Algorithm 1) for one variable in one pass over
// memory, in the same order of float32 operations as its separate kernels: m' = m·β1 + g·(1−β1),
// v' = v·β2 + g²·(1−β2), x' = (m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε) · (−lr) + x. The scalars arrive as float32 values
// computed in JavaScript, as TF.js computes them.
napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0, lm = 0, lv = 0, lg = 0, lox = 0, lom = 0, lov = 0;
  const float* x = a.f(0, &n); const float* m = a.f(1, &lm); const float* v = a.f(2, &lv); const float* g = a.f(3, &lg);
  float* ox = a.f(4, &lox); float* om = a.f(5, &lom); float* ov = a.f(6, &lov);
  const float negLr = static_cast<float>(-a.d(7)), omb1 = static_cast<float>(a.d(8)), omb2 = static_cast<float>(a.d(9));
  const float b1 = static_cast<float>(a.d(10)), b2 = static_cast<float>(a.d(11)), eps = static_cast<float>(a.d(12));
  const float c1 = static_cast<float>(a.d(13)), c2 = static_cast<float>(a.d(14));
  if (!a.ok) return nullptr;
  if (lm != n || lv != n || lg != n || lox != n || lom != n || lov != n) { a.fail("adam: lengths"); return nullptr; }
  const int64_t len = static_cast<int64_t>(n);
#pragma omp parallel for simd schedule(static) if (parallel : len > kParallelElements)
  for (int64_t i = 0; i < len; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * omb1;
    const float vi = v[i] * b2 + (gi * gi) * omb2;
    om[i] = mi;
    ov[i] = vi;
    ox[i] = ((mi / c1) / (std::sqrt(vi / c2) + eps)) * negLr + x[i];
  }
  return nullptr;
}

}  // namespace genlab
