// Image resampling on NHWC tensors: nearest-neighbour upsampling and average pooling, forward and backward. Each is one
// of two shapes of loop: a gather (every output pixel copies one input pixel) or a sum over a rectangle of input pixels
// (every output pixel adds the input pixels of rows [rowStart, rowEnd) × columns [colStart, colEnd)). The TypeScript
// side (src/engine/native/kernels/resample.ts) computes the rows and columns as TF.js's cpu kernels do; here they are
// applied. Sums run in double precision in row-major order, as the cpu kernels' JavaScript numbers do.
#include "common.h"

namespace genlab {

namespace {

// Output rows [r0, r1) of the `rows` of every image (r = image · rows + row) of gatherPixels.
void gatherRows(const float* src, int64_t sh, int64_t sw, int64_t c, const int32_t* rowOf, const int32_t* colOf,
                int64_t rows, int64_t cols, float* dst, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / rows, y = r % rows;
    float* out = dst + r * cols * c;
    if (rowOf[y] < 0) {
      std::fill(out, out + cols * c, 0.f);
      continue;
    }
    const float* in = src + (n * sh + rowOf[y]) * sw * c;
    for (int64_t x = 0; x < cols; x++) {
      if (colOf[x] < 0) std::fill(out + x * c, out + (x + 1) * c, 0.f);
      else std::copy(in + colOf[x] * c, in + (colOf[x] + 1) * c, out + x * c);
    }
  }
}

// Output rows [r0, r1) of sumBlocks; `acc` holds c doubles.
void sumRows(const float* src, int64_t sh, int64_t sw, int64_t c, const int32_t* rs, const int32_t* re, const int32_t* cs,
             const int32_t* ce, int64_t rows, int64_t cols, double multiplier, float* dst, int64_t r0, int64_t r1, double* acc) {
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / rows, y = r % rows;
    for (int64_t x = 0; x < cols; x++) {
      std::fill(acc, acc + c, 0.0);
      for (int64_t yy = rs[y]; yy < re[y]; yy++) {
        const float* in = src + (n * sh + yy) * sw * c;
        for (int64_t xx = cs[x]; xx < ce[x]; xx++) {
          const float* p = in + xx * c;
          for (int64_t d = 0; d < c; d++) acc[d] += p[d];
        }
      }
      float* out = dst + (r * cols + x) * c;
      if (multiplier > 0) {
        for (int64_t d = 0; d < c; d++) out[d] = static_cast<float>(acc[d] * multiplier);
      } else {
        const double count = static_cast<double>(std::max(0, re[y] - rs[y])) * std::max(0, ce[x] - cs[x]);
        for (int64_t d = 0; d < c; d++) out[d] = static_cast<float>(acc[d] / count);  // 0/0: NaN, as the cpu kernel
      }
    }
  }
}

}  // namespace

// gatherPixels(src, n, sh, sw, c, rowOf, colOf, dst): dst [n, rowOf.length, colOf.length, c] with
// dst[i, y, x, :] = src[i, rowOf[y], colOf[x], :], or zeros where rowOf[y] or colOf[x] is −1.
napi_value GatherPixels(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ls = 0, lr = 0, lc = 0, ld = 0;
  const float* src = a.f(0, &ls);
  const int64_t n = a.i(1), sh = a.i(2), sw = a.i(3), c = a.i(4);
  const int32_t* rowOf = a.i32(5, &lr);
  const int32_t* colOf = a.i32(6, &lc);
  float* dst = a.f(7, &ld);
  if (!a.ok) return nullptr;
  const auto rows = static_cast<int64_t>(lr), cols = static_cast<int64_t>(lc);
  if (static_cast<int64_t>(ls) != n * sh * sw * c || static_cast<int64_t>(ld) != n * rows * cols * c) { a.fail("gatherPixels: lengths"); return nullptr; }
  for (int64_t i = 0; i < rows; i++) if (rowOf[i] >= sh || rowOf[i] < -1) { a.fail("gatherPixels: row index"); return nullptr; }
  for (int64_t i = 0; i < cols; i++) if (colOf[i] >= sw || colOf[i] < -1) { a.fail("gatherPixels: column index"); return nullptr; }
  shareRows(n * rows, cols * c, [=](int64_t r0, int64_t r1) { gatherRows(src, sh, sw, c, rowOf, colOf, rows, cols, dst, r0, r1); });
  return nullptr;
}

// sumBlocks(src, n, sh, sw, c, rowStart, rowEnd, colStart, colEnd, multiplier, dst): dst [n, rows, cols, c] with
// dst[i, y, x, :] = Σ src[i, rowStart[y] ≤ yy < rowEnd[y], colStart[x] ≤ xx < colEnd[x], :] times `multiplier`, or
// divided by the rectangle's size when multiplier is 0 (an average).
napi_value SumBlocks(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ls = 0, lrs = 0, lre = 0, lcs = 0, lce = 0, ld = 0;
  const float* src = a.f(0, &ls);
  const int64_t n = a.i(1), sh = a.i(2), sw = a.i(3), c = a.i(4);
  const int32_t* rs = a.i32(5, &lrs); const int32_t* re = a.i32(6, &lre);
  const int32_t* cs = a.i32(7, &lcs); const int32_t* ce = a.i32(8, &lce);
  const double multiplier = a.d(9);
  float* dst = a.f(10, &ld);
  if (!a.ok) return nullptr;
  const auto rows = static_cast<int64_t>(lrs), cols = static_cast<int64_t>(lcs);
  if (lre != lrs || lce != lcs || static_cast<int64_t>(ls) != n * sh * sw * c || static_cast<int64_t>(ld) != n * rows * cols * c) {
    a.fail("sumBlocks: lengths");
    return nullptr;
  }
  for (int64_t i = 0; i < rows; i++) if (rs[i] < 0 || re[i] > sh) { a.fail("sumBlocks: row range"); return nullptr; }
  for (int64_t i = 0; i < cols; i++) if (cs[i] < 0 || ce[i] > sw) { a.fail("sumBlocks: column range"); return nullptr; }
  shareRows(n * rows, cols * c * 4, [=](int64_t r0, int64_t r1) {
    std::vector<double> acc(static_cast<size_t>(c));
    sumRows(src, sh, sw, c, rs, re, cs, ce, rows, cols, multiplier, dst, r0, r1, acc.data());
  });
  return nullptr;
}

}  // namespace genlab
