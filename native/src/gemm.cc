// Matrix products on oneDNN's sgemm, and the bias + activation epilogue that fused matrix products and fused
// convolutions apply in place after the product.
#include "common.h"

namespace genlab {

dnnl_status_t sgemm(char transA, char transB, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float* A, dnnl_dim_t lda,
                    const float* B, dnnl_dim_t ldb, float beta, float* C, dnnl_dim_t ldc) {
  SignalsHeld held;
  const double flops = 2.0 * M * N * K;
  const int64_t chunks = shareChunks(flops);
  if (chunks <= 1 || (M < 32 && N < 32)) {
    ThreadsScope threads(1);
    return dnnl_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  // Blocks of rows or columns of C, whichever dimension is longer; each block is a product of its own (the shared
  // operand is packed once per block: measured +1–3% for 4 blocks of 128×784×400 on one thread).
  const bool byColumns = N >= M;
  std::atomic<int> failed{0};
  shareWork(chunks, [&](int64_t i) {
    int64_t b0, b1;
    chunkRange(byColumns ? N : M, chunks, 16, i, b0, b1);
    if (b1 <= b0) return;
    dnnl_status_t s;
    if (byColumns) s = dnnl_sgemm(transA, transB, M, b1 - b0, K, alpha, A, lda, transB == 'N' ? B + b0 : B + b0 * ldb, ldb, beta, C + b0, ldc);
    else s = dnnl_sgemm(transA, transB, b1 - b0, N, K, alpha, transA == 'N' ? A + b0 * lda : A + b0, lda, B, ldb, beta, C + b0 * ldc, ldc);
    if (s != dnnl_success) failed.store(1);
  });
  return failed.load() ? dnnl_runtime_error : dnnl_success;
}

namespace {

inline float act(int kind, float v, float alpha) {
  switch (kind) {
    case RELU: return v > 0 ? v : (std::isnan(v) ? v : 0.f);  // as TF.js's max(0, v): NaN stays NaN
    case SIGMOID: return 1.f / (1.f + std::exp(-v));
    case RELU6: return std::min(std::max(v, 0.f), 6.f);
    case ELU: return v >= 0 ? v : std::expm1(v);
    case LEAKY: return v >= 0 ? v : alpha * v;
    case TANH: return std::tanh(v);
    default: return v;
  }
}

// In place C [rows, N] = act(C + bias), one loop per (bias mode, activation): with both known at compile time the
// inner loop vectorises (with them tested per element it ran scalar, ≈4 ns per element).
// (Rows [r0, r1) in a function of their own: with the pointers and scalars as parameters rather than captured by the
// sharing lambda, the loop vectorises.)
template <int BIAS, int ACT>
void biasActRows(float* C, int64_t r0, int64_t r1, int64_t N, const float* bias, float alpha) {
  for (int64_t r = r0; r < r1; r++) {
    float* row = C + r * N;
    const float* b = BIAS == 3 ? bias + r * N : bias;
#pragma omp simd
    for (int64_t j = 0; j < N; j++) {
      float v = row[j];
      if (BIAS == 1 || BIAS == 3) v += b[j];
      if (BIAS == 2) v += b[0];
      row[j] = act(ACT, v, alpha);
    }
  }
}

template <int BIAS, int ACT>
void biasActLoop(float* C, int64_t rows, int64_t N, const float* bias, float alpha) {
  shareRows(rows, N, [=](int64_t r0, int64_t r1) { biasActRows<BIAS, ACT>(C, r0, r1, N, bias, alpha); });
}

template <int BIAS>
void biasActFor(float* C, int64_t rows, int64_t N, const float* bias, int64_t actKind, float alpha) {
  switch (actKind) {
    case RELU: return biasActLoop<BIAS, RELU>(C, rows, N, bias, alpha);
    case SIGMOID: return biasActLoop<BIAS, SIGMOID>(C, rows, N, bias, alpha);
    case RELU6: return biasActLoop<BIAS, RELU6>(C, rows, N, bias, alpha);
    case ELU: return biasActLoop<BIAS, ELU>(C, rows, N, bias, alpha);
    case LEAKY: return biasActLoop<BIAS, LEAKY>(C, rows, N, bias, alpha);
    case TANH: return biasActLoop<BIAS, TANH>(C, rows, N, bias, alpha);
    default: return biasActLoop<BIAS, LINEAR>(C, rows, N, bias, alpha);
  }
}

}  // namespace

// biasMode as in gemm.
void biasAct(float* C, int64_t rows, int64_t N, const float* bias, int64_t biasMode, int64_t actKind, float alpha) {
  switch (biasMode) {
    case 1: return biasActFor<1>(C, rows, N, bias, actKind, alpha);
    case 2: return biasActFor<2>(C, rows, N, bias, actKind, alpha);
    case 3: return biasActFor<3>(C, rows, N, bias, actKind, alpha);
    default: return biasActFor<0>(C, rows, N, bias, actKind, alpha);
  }
}

// gemm(batch, M, N, K, transA, transB, A, strideA, B, strideB, C, bias|null, biasMode, act, alpha)
// Row-major C[b] = op(A[b]) · op(B[b]) (+ bias) then activation; strideA/strideB 0 broadcast one matrix over the batch.
// biasMode: 0 none, 1 one value per column (length N), 2 one value (length 1), 3 full (length batch·M·N).
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t batch = a.i(0), M = a.i(1), N = a.i(2), K = a.i(3);
  const bool tA = a.i(4) != 0, tB = a.i(5) != 0;
  size_t la = 0, lb = 0, lc = 0, lbias = 0;
  const float* A = a.f(6, &la);
  const int64_t sA = a.i(7);
  const float* B = a.f(8, &lb);
  const int64_t sB = a.i(9);
  float* C = a.f(10, &lc);
  const float* bias = a.f(11, &lbias, true);
  const int64_t biasMode = a.i(12), actKind = a.i(13);
  const float alpha = static_cast<float>(a.d(14));
  if (!a.ok) return nullptr;
  if (static_cast<int64_t>(lc) < batch * M * N || (batch > 0 && (static_cast<int64_t>(la) < (batch - 1) * sA + M * K ||
      static_cast<int64_t>(lb) < (batch - 1) * sB + K * N))) { a.fail("gemm: arrays too short"); return nullptr; }
  for (int64_t b = 0; b < batch && a.ok; b++) {
    float* c = C + b * M * N;
    if (K == 0) { std::fill(c, c + M * N, 0.f); continue; }
    if (M == 0 || N == 0) continue;
    if (sparseLeftGemm(tA, tB, M, N, K, A + b * sA, B + b * sB, c)) continue;  // a mostly-zero A (sparse_gemm.cc)
    check(a, sgemm(tA ? 'T' : 'N', tB ? 'T' : 'N', M, N, K, 1.f, A + b * sA, tA ? M : K, B + b * sB, tB ? K : N, 0.f,
                        c, N));
  }
  if (!a.ok) return nullptr;
  if (biasMode != 0 || actKind != LINEAR) biasAct(C, batch * M, N, bias, biasMode, actKind, alpha);
  return nullptr;
}

// epilogue(out, rows, cols, bias|null, biasMode, act, alpha): in place out = act(out + bias), as in gemm.
napi_value Epilogue(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lo = 0, lbias = 0;
  float* C = a.f(0, &lo);
  const int64_t rows = a.i(1), N = a.i(2);
  const float* bias = a.f(3, &lbias, true);
  const int64_t biasMode = a.i(4), actKind = a.i(5);
  const float alpha = static_cast<float>(a.d(6));
  if (!a.ok) return nullptr;
  if (static_cast<int64_t>(lo) < rows * N) { a.fail("epilogue: lengths"); return nullptr; }
  biasAct(C, rows, N, bias, biasMode, actKind, alpha);
  return nullptr;
}

}  // namespace genlab
