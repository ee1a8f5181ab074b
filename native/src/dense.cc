// The backward pass of a dense layer's bias and activation (src/engine/kernels/dense.ts): the gradient before the
// activation and the bias gradient in one pass over dy, where TF.js runs the activation's gradient (2–3 kernels), a
// reshape, a sum over the batch and another reshape. The matrix products of the layer's gradient stay sgemm (gemm.cc).
#include "common.h"

namespace genlab {
namespace {

// dy·act′ from the activation's output y, with TF.js's float32 operations and order (its gradients of relu, sigmoid,
// tanh and elu): relu dy·step (NaN where y is NaN), sigmoid dy·(y·(1 − y)), tanh (1 − y²)·dy, elu y ≥ 0 ? dy : dy·(y + 1).
template <int ACT>
inline float actGrad(float g, float y) {
  if (ACT == RELU) return g * (std::isnan(y) ? NAN : (y > 0 ? 1.f : 0.f));
  if (ACT == SIGMOID) return g * (y * (1.f - y));
  if (ACT == TANH) return (1.f - y * y) * g;
  if (ACT == ELU) return y >= 0 ? g : g * (y + 1.f);
  return g;
}

// dPre [rows, cols] = dy·act′(y) (not written for LINEAR: it is dy), and dBias [cols] = Σ over rows of dPre, summed in
// double row after row as the Sum kernel does (elementwise.cc), so the bias gradient is the one TF.js's reshape + sum
// gives on this backend, bit for bit.
template <int ACT>
void denseGradLoop(const float* dy, const float* y, float* dPre, float* dBias, int64_t rows, int64_t cols) {
  std::vector<double> acc(dBias ? cols : 0, 0.0);
  for (int64_t r = 0; r < rows; r++) {
    const float* g = dy + r * cols;
    if (ACT == LINEAR) {
      double* a = acc.data();
#pragma omp simd
      for (int64_t j = 0; j < cols; j++) a[j] += g[j];
      continue;
    }
    const float* yr = y + r * cols;
    float* d = dPre + r * cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) d[j] = actGrad<ACT>(g[j], yr[j]);
    if (dBias) {
      double* a = acc.data();
#pragma omp simd
      for (int64_t j = 0; j < cols; j++) a[j] += d[j];
    }
  }
  for (int64_t j = 0; dBias && j < cols; j++) dBias[j] = static_cast<float>(acc[j]);
}

}  // namespace

// denseGrad(act, dy, y|null, dPre|null, dBias|null, rows, cols): the gradients of y = act(x·W + b) before the
// activation (dPre, into the caller's array; LINEAR needs none: it is dy) and of the bias (dBias, when not null), from
// dy and y [rows, cols]. act: LINEAR, RELU, SIGMOID, ELU or TANH (the Act codes).
napi_value DenseGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t act = a.i(0);
  size_t ldy = 0, ly = 0, lp = 0, lb = 0;
  const float* dy = a.f(1, &ldy);
  const float* y = a.f(2, &ly, true);
  float* dPre = a.f(3, &lp, true);
  float* dBias = a.f(4, &lb, true);
  const int64_t rows = a.i(5), cols = a.i(6);
  if (!a.ok) return nullptr;
  const size_t n = static_cast<size_t>(rows * cols);
  const bool linear = act == LINEAR;
  if (ldy != n || (!linear && (ly != n || lp != n)) || (dBias && lb != static_cast<size_t>(cols))) { a.fail("denseGrad: lengths"); return nullptr; }
  switch (act) {
    case LINEAR: if (dBias) denseGradLoop<LINEAR>(dy, y, dPre, dBias, rows, cols); break;
    case RELU: denseGradLoop<RELU>(dy, y, dPre, dBias, rows, cols); break;
    case SIGMOID: denseGradLoop<SIGMOID>(dy, y, dPre, dBias, rows, cols); break;
    case TANH: denseGradLoop<TANH>(dy, y, dPre, dBias, rows, cols); break;
    case ELU: denseGradLoop<ELU>(dy, y, dPre, dBias, rows, cols); break;
    default: a.fail("denseGrad: unsupported activation");
  }
  return nullptr;
}

}  // namespace genlab
