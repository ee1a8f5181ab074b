// Block copies for the kernels that move data without arithmetic (src/engine/native/kernels/copies.ts): Concat writes
// each input as a block of rows into its columns of the output (the cpu kernel copies a concatenation along any axis
// but the first element by element in JavaScript).
#include "common.h"

namespace genlab {

// copyBlock(src, rows, cols, dst, dstOffset, dstStride): dst[dstOffset + r·dstStride + j] = src[r·cols + j] for the
// rows × cols values of src.
napi_value CopyBlock(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ns = 0, nd = 0;
  const float* src = a.f(0, &ns);
  const int64_t rows = a.i(1), cols = a.i(2);
  float* dst = a.f(3, &nd);
  const int64_t offset = a.i(4), stride = a.i(5);
  if (!a.ok) return nullptr;
  if (rows < 0 || cols < 0 || stride < cols || offset < 0 || static_cast<size_t>(rows * cols) != ns ||
      (rows > 0 && static_cast<size_t>(offset + (rows - 1) * stride + cols) > nd)) {
    a.fail("copyBlock: sizes");
    return nullptr;
  }
  shareRows(rows, cols, [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) std::copy(src + r * cols, src + (r + 1) * cols, dst + offset + r * stride);
  });
  return nullptr;
}

}  // namespace genlab
