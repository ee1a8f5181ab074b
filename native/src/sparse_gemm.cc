// Matrix products whose left operand is mostly zeros: a dense layer's input of image pixels (four fifths of an MNIST
// digit's pixels are exactly 0) in its forward product x·W and its weight gradient xᵀ·dy. oneDNN's sgemm multiplies
// every zero; here each row of the product sums only the rows of B that a nonzero of A selects, in partial sums that
// stay in registers over a block of columns. Only exact zeros are skipped, so the products are the same sums in
// another order (rounding aside) — except that a zero of A times an infinite or NaN element of B adds nothing here,
// where a dense product would add NaN.
#include "common.h"
#include <immintrin.h>
#include <vector>

namespace genlab {
namespace {

// Left operands denser than this go to sgemm. Each nonzero costs a pass over a block of B's row here (little reuse
// of what is loaded) where sgemm reuses every load across rows: at 19% nonzeros (MNIST digits, 2 threads) the VAE's
// 128×784 · 784×400 took 0.33 ms against sgemm's 0.43 ms, and its xᵀ·dy 0.27 against 0.40 ms.
constexpr double kMaxDensity = 0.3;
// Products smaller than this many multiply-adds stay on sgemm (the index costs a pass over A).
constexpr int64_t kMinWork = int64_t(1) << 22;
constexpr int64_t kBlock = 128;  // columns of C per block: 128 partial sums, 8 registers

// The nonzeros of each output row: row r's are idx/val[start[r] .. start[r + 1]), in increasing inner index.
struct SparseRows {
  std::vector<int64_t> start;
  std::vector<int32_t> idx;
  std::vector<float> val;
};

// The index arrays live with the thread and are reused from call to call; those of an unusually large product are
// given back rather than kept for the life of the process.
void releaseIfLarge(SparseRows& s) {
  if (s.idx.capacity() + s.start.capacity() > (size_t(1) << 22)) s = SparseRows();
}

// Whether A (count values, read at an even stride) looks sparse enough to index: a sample of up to 4,096 values.
bool looksSparse(const float* A, int64_t count) {
  const int64_t samples = std::min<int64_t>(count, 4096);
  const int64_t stride = count / samples;
  int64_t nonzero = 0;
  for (int64_t s = 0; s < samples; s++) nonzero += A[s * stride] != 0.f;
  return nonzero <= kMaxDensity * samples;
}

// Rows of A [rows, inner] (row-major, not transposed): each row's nonzeros. False when denser than kMaxDensity.
// (Branch-free: a branch per value mispredicted on a fifth of a digit's pixels and cost more than the product saved.)
bool indexRows(const float* A, int64_t rows, int64_t inner, SparseRows& s) {
  const int64_t limit = static_cast<int64_t>(kMaxDensity * rows * inner);
  s.start.assign(rows + 1, 0);
  s.idx.resize(limit + 16);  // room for a full vector written past the last nonzero
  s.val.resize(limit + 16);
  int32_t* idx = s.idx.data();
  float* val = s.val.data();
  int64_t n = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* a = A + r * inner;
    int64_t k = 0;
#ifdef __AVX512F__
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (; k + 16 <= inner; k += 16) {
      const __m512 v = _mm512_loadu_ps(a + k);
      const __mmask16 nz = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      if (n + 16 > limit + 16) return false;
      // Compressed in registers, then stored whole (a compressing store to memory is slow on some cores).
      _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(nz, v));
      _mm512_storeu_si512(idx + n, _mm512_maskz_compress_epi32(nz, _mm512_add_epi32(lanes, _mm512_set1_epi32(static_cast<int32_t>(k)))));
      n += __builtin_popcount(nz);
    }
#endif
    for (; k < inner; k++) {
      if (n >= limit) return false;
      idx[n] = static_cast<int32_t>(k);
      val[n] = a[k];
      n += a[k] != 0.f;
    }
    if (n > limit) return false;
    s.start[r + 1] = n;
  }
  return true;
}

// s = the nonzeros of `rowsOf` (indexRows of A [inner, cols]) by column, each column's in increasing row.
void sortByColumn(const SparseRows& rowsOf, int64_t inner, int64_t cols, SparseRows& s) {
  const int64_t n = rowsOf.start[inner];
  s.start.assign(cols + 1, 0);
  for (int64_t t = 0; t < n; t++) s.start[rowsOf.idx[t] + 1]++;
  for (int64_t c = 0; c < cols; c++) s.start[c + 1] += s.start[c];
  s.idx.resize(n);
  s.val.resize(n);
  std::vector<int64_t> next(s.start.begin(), s.start.end() - 1);
  for (int64_t k = 0; k < inner; k++) {
    for (int64_t t = rowsOf.start[k]; t < rowsOf.start[k + 1]; t++) {
      const int64_t at = next[rowsOf.idx[t]]++;
      s.idx[at] = static_cast<int32_t>(k);
      s.val[at] = rowsOf.val[t];
    }
  }
}

// Columns of A [inner, cols] (row-major; the product uses Aᵀ): each column's nonzeros, in increasing row — the
// rows' nonzeros (indexRows) sorted by column, stably. False when denser than kMaxDensity.
bool indexColumns(const float* A, int64_t inner, int64_t cols, SparseRows& s) {
  static thread_local SparseRows rowsOf;
  const bool sparse = indexRows(A, inner, cols, rowsOf);
  if (sparse) sortByColumn(rowsOf, inner, cols, s);
  releaseIfLarge(rowsOf);
  return sparse;
}

// c[0, w) = Σ over the row's nonzeros t of val[t] · B[idx[t], j0 .. j0 + w), summed in t's order from 0: the plain
// loop, for builds without AVX-512 (the same sums in the same order as rowBlock's registers).
void rowBlockPortable(const int32_t* idx, const float* val, int64_t nnz, const float* B, int64_t ldb, int64_t j0, int64_t w, float* c) {
  for (int64_t j = 0; j < w; j++) c[j] = 0.f;
  for (int64_t t = 0; t < nnz; t++) {
    const float a = val[t];
    const float* b = B + idx[t] * ldb + j0;
#pragma omp simd
    for (int64_t j = 0; j < w; j++) c[j] += a * b[j];
  }
}

// The same for w ≤ 128 with the partial sums in eight AVX-512 registers, named one by one (held in an array, GCC stored them to the stack
// on every iteration; its own vectorisation of the plain loop gathered B), lanes past w masked off. Multiply, then
// add — no fused multiply-add, as everywhere in this build (-ffp-contract=off).
void rowBlock(const int32_t* idx, const float* val, int64_t nnz, const float* B, int64_t ldb, int64_t j0, int64_t w, float* c) {
#ifdef __AVX512F__
  auto mask = [w](int v) -> __mmask16 {
    const int64_t left = w - 16 * v;
    return left >= 16 ? __mmask16(0xffff) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
  };
  const __mmask16 m0 = mask(0), m1 = mask(1), m2 = mask(2), m3 = mask(3), m4 = mask(4), m5 = mask(5), m6 = mask(6), m7 = mask(7);
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int64_t t = 0; t < nnz; t++) {
    const __m512 a = _mm512_set1_ps(val[t]);
    const float* b = B + idx[t] * ldb + j0;
    s0 = _mm512_add_ps(s0, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m0, b)));
    s1 = _mm512_add_ps(s1, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m1, b + 16)));
    s2 = _mm512_add_ps(s2, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m2, b + 32)));
    s3 = _mm512_add_ps(s3, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m3, b + 48)));
    s4 = _mm512_add_ps(s4, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m4, b + 64)));
    s5 = _mm512_add_ps(s5, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m5, b + 80)));
    s6 = _mm512_add_ps(s6, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m6, b + 96)));
    s7 = _mm512_add_ps(s7, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m7, b + 112)));
  }
  _mm512_mask_storeu_ps(c, m0, s0);
  _mm512_mask_storeu_ps(c + 16, m1, s1);
  _mm512_mask_storeu_ps(c + 32, m2, s2);
  _mm512_mask_storeu_ps(c + 48, m3, s3);
  _mm512_mask_storeu_ps(c + 64, m4, s4);
  _mm512_mask_storeu_ps(c + 80, m5, s5);
  _mm512_mask_storeu_ps(c + 96, m6, s6);
  _mm512_mask_storeu_ps(c + 112, m7, s7);
#else
  rowBlockPortable(idx, val, nnz, B, ldb, j0, w, c);
#endif
}

// C [rows, N] from the indexed rows and B [inner, N]: rows shared by the workers, each a block of columns at a time
// (a block of B, inner × 128 values, stays in the core's cache over the rows of its chunk).
void multiply(const SparseRows& s, int64_t rows, const float* B, int64_t N, float* C) {
  shareRange(rows, (rows + workers() - 1) / workers(), 1, [&](int64_t r0, int64_t r1) {
    for (int64_t j0 = 0; j0 < N; j0 += kBlock) {
      const int64_t w = std::min(kBlock, N - j0);
      for (int64_t r = r0; r < r1; r++) {
        const int64_t t0 = s.start[r], nnz = s.start[r + 1] - t0;
        float* c = C + r * N + j0;
        rowBlock(s.idx.data() + t0, s.val.data() + t0, nnz, B, N, j0, w, c);
      }
    }
  });
}

// The rule of the sparse path, for the product and for gemmImpl alike: B not transposed, the product large enough,
// A sparse enough. When it holds, `s` has op(A)'s nonzeros by output row.
bool indexLeft(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, SparseRows& s) {
  if (transB || M * N * K < kMinWork || M >= INT32_MAX || K >= INT32_MAX || !looksSparse(A, M * K)) return false;
  return transA ? indexColumns(A, K, M, s) : indexRows(A, M, K, s);
}

}  // namespace

// C [M, N] = op(A) · B for B [K, N] not transposed, when A is sparse enough: op(A) = A [M, K], or Aᵀ with A [K, M].
// Returns false, having written nothing, when B is transposed, the product small or A not sparse (the caller runs
// sgemm).
bool sparseLeftGemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C) {
  static thread_local SparseRows s;
  const bool sparse = indexLeft(transA, transB, M, N, K, A, s);
  if (sparse) multiply(s, M, B, N, C);
  releaseIfLarge(s);
  return sparse;
}

// gemmImpl(transA, transB, M, N, K, A): the implementation C = op(A) · op(B) runs on — "genlab:sparse-left" when A's
// zeros are skipped, else "sgemm" (tests, profiling).
napi_value GemmImpl(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const bool tA = a.i(0) != 0, tB = a.i(1) != 0;
  const int64_t M = a.i(2), N = a.i(3), K = a.i(4);
  size_t la = 0;
  const float* A = a.f(5, &la);
  if (!a.ok) return nullptr;
  if (static_cast<int64_t>(la) < M * K) { a.fail("gemmImpl: A too short"); return nullptr; }
  static thread_local SparseRows s;
  const bool sparse = indexLeft(tA, tB, M, N, K, A, s);
  releaseIfLarge(s);
  napi_value r;
  napi_create_string_utf8(env, sparse ? "genlab:sparse-left" : "sgemm", NAPI_AUTO_LENGTH, &r);
  return r;
}

}  // namespace genlab
