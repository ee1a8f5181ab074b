// Element-wise work on float32 arrays, vectorised, shared between workers from 2·kShareElements on (pool.h): binary ops (with
// broadcasting), comparisons, select, unary ops and activations, activation gradients, and sums over axes.
#include "common.h"

namespace genlab {
namespace {

// Element-wise binary ops on equal-length arrays, or with one side of length 1 (a scalar).
enum Bin { ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5, SQDIFF = 6, POW = 7, GT = 8, GE = 9, LT = 10, LE = 11, EQ = 12,
           NE = 13, COPY = 14 };
inline float bin(int op, float x, float y) {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case DIV: return x / y;
    case MAX: return (std::isnan(x) || std::isnan(y)) ? NAN : std::max(x, y);
    case MIN: return (std::isnan(x) || std::isnan(y)) ? NAN : std::min(x, y);
    case SQDIFF: return (x - y) * (x - y);
    case GT: return x > y;
    case GE: return x >= y;
    case LT: return x < y;
    case LE: return x <= y;
    case EQ: return x == y;
    case NE: return x != y;
    case COPY: return x;
    default: return std::pow(x, y);
  }
}

// The loops over [b, e) are functions of their own, called from the shared chunks: with the pointers and scalars as
// parameters (not captured by a lambda, where the vectoriser must assume a store may change them) the loops vectorise
// as before (captured, leaky relu's gradient ran 3.6× slower).
template <int OP, typename T, int SX, int SY>
void binRange(const float* x, const float* y, T* out, int64_t b, int64_t e) {
#pragma omp simd
  for (int64_t i = b; i < e; i++) out[i] = static_cast<T>(bin(OP, x[i * SX], y[i * SY]));
}

template <int OP, typename T, int SX, int SY>
void binLoopStrided(const float* x, const float* y, T* out, int64_t n) {
  shareElements(n, [=](int64_t b, int64_t e) { binRange<OP, T, SX, SY>(x, y, out, b, e); });
}

// Strides sx, sy are 1 (full) or 0 (a scalar): one loop per case, so that the vectoriser sees constant strides (with
// run-time strides it emitted scalar code: ≈3 ns per element for a division by a scalar).
template <int OP, typename T = float>
void binLoop(const float* x, int64_t sx, const float* y, int64_t sy, T* out, int64_t n) {
  if (sx && sy) binLoopStrided<OP, T, 1, 1>(x, y, out, n);
  else if (sx) binLoopStrided<OP, T, 1, 0>(x, y, out, n);
  else if (sy) binLoopStrided<OP, T, 0, 1>(x, y, out, n);
  else binLoopStrided<OP, T, 0, 0>(x, y, out, n);
}

// Rows [r0, r1) of binStrided.
template <int OP, typename T>
void binStridedRows(const float* x, const float* y, T* out, int rank, const int32_t* shape, const int32_t* sx,
                    const int32_t* sy, int64_t r0, int64_t r1) {
  const int64_t inner = shape[rank - 1], ix = sx[rank - 1], iy = sy[rank - 1];
  for (int64_t r = r0; r < r1; r++) {
    int64_t ox = 0, oy = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      const int64_t i = rem % shape[d];
      rem /= shape[d];
      ox += i * sx[d];
      oy += i * sy[d];
    }
    const float* xp = x + ox; const float* yp = y + oy; T* op = out + r * inner;
    if (ix == 1 && iy == 1) { for (int64_t j = 0; j < inner; j++) op[j] = static_cast<T>(bin(OP, xp[j], yp[j])); }
    else if (ix == 1 && iy == 0) { const float v = yp[0]; for (int64_t j = 0; j < inner; j++) op[j] = static_cast<T>(bin(OP, xp[j], v)); }
    else if (ix == 0 && iy == 1) { const float v = xp[0]; for (int64_t j = 0; j < inner; j++) op[j] = static_cast<T>(bin(OP, v, yp[j])); }
    else for (int64_t j = 0; j < inner; j++) op[j] = static_cast<T>(bin(OP, xp[j * ix], yp[j * iy]));
  }
}

template <int OP, typename T = float>
void binStrided(const float* x, const float* y, T* out, int rank, const int32_t* shape, const int32_t* sx,
                const int32_t* sy) {
  // rank ≥ 1; the last dimension is the inner loop, the others are enumerated as rows.
  const int64_t inner = shape[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
  shareRows(rows, inner, [=](int64_t r0, int64_t r1) { binStridedRows<OP, T>(x, y, out, rank, shape, sx, sy, r0, r1); });
}

enum Un { U_RELU = 0, U_SIGMOID = 1, U_EXP = 2, U_LOG = 3, U_SQRT = 4, U_SQUARE = 5, U_NEG = 6, U_ABS = 7, U_TANH = 8,
          U_SOFTPLUS = 9, U_RSQRT = 10, U_RECIPROCAL = 11, U_LOG1P = 12, U_STEP = 13, U_LEAKY = 14 };
template <int OP>
inline float un(float v, float alpha) {
  switch (OP) {
    case U_RELU: return v > 0 ? v : (std::isnan(v) ? v : 0.f);
    case U_SIGMOID: return 1.f / (1.f + std::exp(-v));
    case U_EXP: return std::exp(v);
    case U_LOG: return std::log(v);
    case U_SQRT: return std::sqrt(v);
    case U_SQUARE: return v * v;
    case U_NEG: return -v;
    case U_ABS: return std::fabs(v);
    case U_TANH: return std::tanh(v);
    case U_RSQRT: return 1.f / std::sqrt(v);
    case U_RECIPROCAL: return 1.f / v;
    case U_LOG1P: return std::log1p(v);
    case U_STEP: return std::isnan(v) ? NAN : (v > 0 ? 1.f : alpha);
    case U_LEAKY: return v < 0 ? alpha * v : v;
    default: return v;
  }
}
template <int OP>
void unRange(const float* x, float* out, int64_t b, int64_t e, float alpha) {
#pragma omp simd
  for (int64_t i = b; i < e; i++) out[i] = un<OP>(x[i], alpha);
}

template <int OP>
void unLoop(const float* x, float* out, int64_t n, float alpha) {
  shareElements(n, [=](int64_t b, int64_t e) { unRange<OP>(x, out, b, e, alpha); });
}

enum ActGrad { G_RELU = 0, G_LEAKY = 1, G_SIGMOID = 2, G_TANH = 3 };
template <int OP>
void actGradRange(const float* dy, const float* v, float* out, int64_t b, int64_t e, float alpha) {
#pragma omp simd
  for (int64_t i = b; i < e; i++) {
    const float g = dy[i], x = v[i];
    if (OP == G_RELU) out[i] = g * (std::isnan(x) ? NAN : (x > 0 ? 1.f : 0.f));
    if (OP == G_LEAKY) out[i] = x > 0 ? g : g * alpha;
    if (OP == G_SIGMOID) out[i] = g * (x * (1.f - x));
    if (OP == G_TANH) out[i] = (1.f - x * x) * g;
  }
}

template <int OP>
void actGradLoop(const float* dy, const float* v, float* out, int64_t n, float alpha) {
  shareElements(n, [=](int64_t b, int64_t e) { actGradRange<OP>(dy, v, out, b, e, alpha); });
}

}  // namespace

// binary(op, a, b, out): out[i] = a[i or 0] op b[i or 0].
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.i(0);
  size_t la = 0, lb = 0, lo = 0;
  const float* x = a.f(1, &la); const float* y = a.f(2, &lb); float* out = a.f(3, &lo);
  if (!a.ok) return nullptr;
  const int64_t n = lo, sx = la == 1 ? 0 : 1, sy = lb == 1 ? 0 : 1;
  if ((sx && static_cast<int64_t>(la) != n) || (sy && static_cast<int64_t>(lb) != n)) { a.fail("binary: lengths"); return nullptr; }
  switch (op) {
    case ADD: binLoop<ADD>(x, sx, y, sy, out, n); break;
    case SUB: binLoop<SUB>(x, sx, y, sy, out, n); break;
    case MUL: binLoop<MUL>(x, sx, y, sy, out, n); break;
    case DIV: binLoop<DIV>(x, sx, y, sy, out, n); break;
    case MAX: binLoop<MAX>(x, sx, y, sy, out, n); break;
    case MIN: binLoop<MIN>(x, sx, y, sy, out, n); break;
    case SQDIFF: binLoop<SQDIFF>(x, sx, y, sy, out, n); break;
    case POW: binLoop<POW>(x, sx, y, sy, out, n); break;
    case COPY: binLoop<COPY>(x, sx, y, sy, out, n); break;
    default: a.fail("binary: unknown op");
  }
  return nullptr;
}

// binaryBroadcast(op, a, b, out, dims): dims = Int32Array [shape(rank), aStrides(rank), bStrides(rank)], strides 0 on
// broadcast dimensions.
napi_value BinaryBroadcast(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.i(0);
  size_t la = 0, lb = 0, lo = 0, ld = 0;
  const float* x = a.f(1, &la); const float* y = a.f(2, &lb); float* out = a.f(3, &lo);
  const int32_t* dims = a.i32(4, &ld);
  if (!a.ok) return nullptr;
  const int rank = static_cast<int>(ld / 3);
  if (rank < 1 || ld % 3 != 0) { a.fail("binaryBroadcast: dims"); return nullptr; }
  int64_t n = 1, ma = 0, mb = 0;
  for (int d = 0; d < rank; d++) {
    n *= dims[d];
    if (dims[d] > 0) { ma += int64_t(dims[d] - 1) * dims[rank + d]; mb += int64_t(dims[d] - 1) * dims[2 * rank + d]; }
  }
  if (n == 0) return nullptr;
  if (static_cast<int64_t>(lo) != n || ma >= static_cast<int64_t>(la) || mb >= static_cast<int64_t>(lb)) {
    a.fail("binaryBroadcast: lengths"); return nullptr;
  }
  const int32_t *shape = dims, *sx = dims + rank, *sy = dims + 2 * rank;
  switch (op) {
#define B(K) case K: binStrided<K>(x, y, out, rank, shape, sx, sy); break;
    B(ADD) B(SUB) B(MUL) B(DIV) B(MAX) B(MIN) B(SQDIFF) B(POW) B(COPY)
#undef B
    default: a.fail("binaryBroadcast: unknown op");
  }
  return nullptr;
}

// sum(x, out, dims): dims = Int32Array [shape(rank), outStrides(rank)] with outStride 0 on reduced dimensions; out is
// the reduced tensor (accumulated in double, like the cpu kernel).
napi_value Sum(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, lo = 0, ld = 0;
  const float* x = a.f(0, &lx); float* out = a.f(1, &lo);
  const int32_t* dims = a.i32(2, &ld);
  if (!a.ok) return nullptr;
  const int rank = static_cast<int>(ld / 2);
  if (rank < 1 || ld % 2 != 0) { a.fail("sum: dims"); return nullptr; }
  const int32_t *shape = dims, *so = dims + rank;
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= shape[d];
  if (static_cast<int64_t>(lx) != n) { a.fail("sum: lengths"); return nullptr; }
  std::vector<double> acc(lo, 0.0);
  const int64_t inner = shape[rank - 1], io = so[rank - 1];
  const int64_t rows = inner == 0 ? 0 : n / inner;
  for (int64_t r = 0; r < rows; r++) {
    int64_t o = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) { o += (rem % shape[d]) * so[d]; rem /= shape[d]; }
    const float* xp = x + r * inner;
    if (io == 0) {
      // Partial sums in double, in any order: the float result differs from a sequential double sum only in rare ties.
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < inner; j++) s += xp[j];
      acc[o] += s;
    }
    else if (io == 1) {  // its own loop: with the run-time stride below, the vectoriser gave up (≈1 ns per element)
      double* ap = acc.data() + o;
#pragma omp simd
      for (int64_t j = 0; j < inner; j++) ap[j] += xp[j];
    } else { double* ap = acc.data() + o; for (int64_t j = 0; j < inner; j++) ap[j * io] += xp[j]; }
  }
  for (size_t i = 0; i < lo; i++) out[i] = static_cast<float>(acc[i]);
  return nullptr;
}

// compare(op, a, b, out: Uint8Array, dims|null): comparisons to 0/1, same broadcasting as binary/binaryBroadcast.
napi_value Compare(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.i(0);
  size_t la = 0, lb = 0, lo = 0, ld = 0;
  const float* x = a.f(1, &la); const float* y = a.f(2, &lb);
  uint8_t* out = a.u8(3, &lo);
  if (!a.ok) return nullptr;
  const int64_t n = lo;
  if (n == 0) return nullptr;
  if (a.nullish(4)) {
    const int64_t sx = la == 1 ? 0 : 1, sy = lb == 1 ? 0 : 1;
    if ((sx && static_cast<int64_t>(la) != n) || (sy && static_cast<int64_t>(lb) != n)) { a.fail("compare: lengths"); return nullptr; }
    switch (op) {
#define C(K) case K: binLoop<K, uint8_t>(x, sx, y, sy, out, n); break;
      C(GT) C(GE) C(LT) C(LE) C(EQ) C(NE)
#undef C
      default: a.fail("compare: unknown op");
    }
    return nullptr;
  }
  const int32_t* dims = a.i32(4, &ld);
  if (!a.ok) return nullptr;
  const int rank = static_cast<int>(ld / 3);
  int64_t total = 1, ma = 0, mb = 0;
  for (int d = 0; d < rank; d++) {
    total *= dims[d];
    ma += int64_t(dims[d] - 1) * dims[rank + d]; mb += int64_t(dims[d] - 1) * dims[2 * rank + d];
  }
  if (rank < 1 || total != n || ma >= static_cast<int64_t>(la) || mb >= static_cast<int64_t>(lb)) { a.fail("compare: dims"); return nullptr; }
  switch (op) {
#define C(K) case K: binStrided<K, uint8_t>(x, y, out, rank, dims, dims + rank, dims + 2 * rank); break;
    C(GT) C(GE) C(LT) C(LE) C(EQ) C(NE)
#undef C
    default: a.fail("compare: unknown op");
  }
  return nullptr;
}

static void selectRange(const uint8_t* c, const float* tv, const float* ev, float* out, int64_t b, int64_t e) {
#pragma omp simd
  for (int64_t i = b; i < e; i++) out[i] = c[i] ? tv[i] : ev[i];
}

// select(cond: Uint8Array, t, e, out): out[i] = cond[i] ? t[i] : e[i], all of one length.
napi_value Select(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lc = 0, lt = 0, le = 0, lo = 0;
  const uint8_t* c = a.u8(0, &lc);
  const float* tv = a.f(1, &lt); const float* ev = a.f(2, &le); float* out = a.f(3, &lo);
  if (!a.ok) return nullptr;
  if (lc != lo || lt != lo || le != lo) { a.fail("select: lengths"); return nullptr; }
  const int64_t n = lo;
  shareElements(n, [=](int64_t b, int64_t e) { selectRange(c, tv, ev, out, b, e); });
  return nullptr;
}

// unary(op, x, out, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.i(0);
  size_t lx = 0, lo = 0;
  const float* x = a.f(1, &lx); float* out = a.f(2, &lo);
  const float alpha = static_cast<float>(a.d(3));
  if (!a.ok) return nullptr;
  if (lx != lo) { a.fail("unary: lengths"); return nullptr; }
  const int64_t n = lo;
  switch (op) {
#define U(K) case K: unLoop<K>(x, out, n, alpha); break;
    U(U_RELU) U(U_SIGMOID) U(U_EXP) U(U_LOG) U(U_SQRT) U(U_SQUARE) U(U_NEG) U(U_ABS) U(U_TANH) U(U_RSQRT)
    U(U_RECIPROCAL) U(U_LOG1P) U(U_STEP) U(U_LEAKY)
#undef U
    default: a.fail("unary: unknown op");
  }
  return nullptr;
}

// activationGrad(op, dy, v, out, alpha): the gradient of an activation from dy and v (its input x, or for sigmoid and tanh
// its output y) in one pass, with TF.js's float32 operations in TF.js's order (its gradients take 2–3 kernels):
// relu dy·step(x); leaky relu x > 0 ? dy : dy·α; sigmoid dy·(y·(1 − y)); tanh (1 − y²)·dy.
napi_value ActivationGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.i(0);
  size_t ld = 0, lv = 0, lo = 0;
  const float* dy = a.f(1, &ld); const float* v = a.f(2, &lv); float* out = a.f(3, &lo);
  const float alpha = static_cast<float>(a.d(4));
  if (!a.ok) return nullptr;
  if (ld != lo || lv != lo) { a.fail("activationGrad: lengths"); return nullptr; }
  const int64_t n = static_cast<int64_t>(lo);
  switch (op) {
    case G_RELU: actGradLoop<G_RELU>(dy, v, out, n, alpha); break;
    case G_LEAKY: actGradLoop<G_LEAKY>(dy, v, out, n, alpha); break;
    case G_SIGMOID: actGradLoop<G_SIGMOID>(dy, v, out, n, alpha); break;
    case G_TANH: actGradLoop<G_TANH>(dy, v, out, n, alpha); break;
    default: a.fail("activationGrad: unknown op");
  }
  return nullptr;
}

}  // namespace genlab
