// genlab's native kernels for the TF.js `native` backend (src/engine/native.ts): matrix products and convolutions
// on oneDNN's sgemm, the element-wise work around them in plain C++ with OpenMP. Raw Node-API (no node-addon-api):
// every function takes Float32Arrays and integers, writes into a caller-allocated output, and returns nothing.
#define NAPI_VERSION 8
#include <node_api.h>
#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <malloc.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

struct Args {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];
  bool ok = true;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }
  int64_t i(size_t k) {
    int64_t v = 0;
    if (k >= argc || napi_get_value_int64(env, argv[k], &v) != napi_ok) fail("expected an integer");
    return v;
  }
  double d(size_t k) {
    double v = 0;
    if (k >= argc || napi_get_value_double(env, argv[k], &v) != napi_ok) fail("expected a number");
    return v;
  }
  // A Float32Array (or null → nullptr when nullable).
  float* f(size_t k, size_t* len = nullptr, bool nullable = false) {
    if (nullable && k < argc && nullish(k)) { if (len) *len = 0; return nullptr; }
    return static_cast<float*>(typed(k, napi_float32_array, "expected a Float32Array", len));
  }
  const int32_t* i32(size_t k, size_t* len) {
    return static_cast<const int32_t*>(typed(k, napi_int32_array, "expected an Int32Array", len));
  }
  uint8_t* u8(size_t k, size_t* len) { return static_cast<uint8_t*>(typed(k, napi_uint8_array, "expected a Uint8Array", len)); }
  bool nullish(size_t k) {
    napi_valuetype t;
    napi_typeof(env, argv[k], &t);
    return t == napi_null || t == napi_undefined;
  }
  // The data of a typed array of type `want` (its length in *len); fails with `expected` for anything else.
  void* typed(size_t k, napi_typedarray_type want, const char* expected, size_t* len) {
    if (k >= argc) { fail("missing argument"); return nullptr; }
    bool is = false;
    napi_is_typedarray(env, argv[k], &is);
    napi_typedarray_type type; size_t n = 0; void* data = nullptr; napi_value ab; size_t off;
    if (is) napi_get_typedarray_info(env, argv[k], &type, &n, &data, &ab, &off);
    if (!is || type != want) { fail(expected); return nullptr; }
    if (len) *len = n;
    return data;
  }
  void fail(const char* msg) {
    if (ok) napi_throw_error(env, nullptr, msg);
    ok = false;
  }
};

void check(Args& a, dnnl_status_t s) {
  if (s != dnnl_success) a.fail("dnnl_sgemm failed");
}

// A signal handled while oneDNN's JIT-generated sgemm code runs corrupts the heap (reproduced with V8's SIGPROF
// sampler, `node --cpu-prof`: glibc aborts with "corrupted size vs. prev_size"). Asynchronous signals are held
// for the length of the call and delivered as soon as it returns; faults (SEGV, BUS, FPE, ILL) are never held.
struct SignalsHeld {
  sigset_t old;
  SignalsHeld() {
    sigset_t held;
    sigfillset(&held);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigdelset(&held, s);
    pthread_sigmask(SIG_BLOCK, &held, &old);
  }
  ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

dnnl_status_t sgemm(char transA, char transB, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float* A, dnnl_dim_t lda,
                    const float* B, dnnl_dim_t ldb, float beta, float* C, dnnl_dim_t ldc) {
  SignalsHeld held;
  return dnnl_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

enum Act { LINEAR = 0, RELU = 1, SIGMOID = 2, RELU6 = 3, ELU = 4, LEAKY = 5 };

inline float act(int kind, float v, float alpha) {
  switch (kind) {
    case RELU: return v > 0 ? v : 0;
    case SIGMOID: return 1.f / (1.f + std::exp(-v));
    case RELU6: return std::min(std::max(v, 0.f), 6.f);
    case ELU: return v >= 0 ? v : std::expm1(v);
    case LEAKY: return v >= 0 ? v : alpha * v;
    default: return v;
  }
}

// In place C [rows, N] = act(C + bias); biasMode as in gemm.
void biasAct(float* C, int64_t rows, int64_t N, const float* bias, int64_t biasMode, int64_t actKind, float alpha) {
#pragma omp parallel for schedule(static) if (rows * N > 32768)
  for (int64_t r = 0; r < rows; r++) {
    float* row = C + r * N;
    for (int64_t j = 0; j < N; j++) {
      float v = row[j];
      if (biasMode == 1) v += bias[j];
      else if (biasMode == 2) v += bias[0];
      else if (biasMode == 3) v += bias[r * N + j];
      row[j] = act(static_cast<int>(actKind), v, alpha);
    }
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
    check(a, sgemm(tA ? 'T' : 'N', tB ? 'T' : 'N', M, N, K, 1.f, A + b * sA, tA ? M : K, B + b * sB, tB ? K : N, 0.f,
                        c, N));
  }
  if (!a.ok) return nullptr;
  if (biasMode != 0 || actKind != LINEAR) biasAct(C, batch * M, N, bias, biasMode, actKind, alpha);
  return nullptr;
}

struct Conv {
  int64_t N, H, W, C, KH, KW, OC, OH, OW, sH, sW, pT, pL, dH, dW;
  int64_t kkc() const { return KH * KW * C; }
  int64_t pix() const { return OH * OW; }
};

Conv readConv(Args& a, size_t k) {
  Conv c;
  int64_t* f[] = {&c.N, &c.H, &c.W, &c.C, &c.KH, &c.KW, &c.OC, &c.OH, &c.OW, &c.sH, &c.sW, &c.pT, &c.pL, &c.dH, &c.dW};
  for (auto* p : f) *p = a.i(k++);
  return c;
}

// Rows [n0, n1) images of x (NHWC) → cols [(n1-n0)·OH·OW, KH·KW·C], zero where the window leaves the image.
void im2col(const Conv& c, const float* x, float* cols, int64_t n0, int64_t n1) {
  const int64_t kkc = c.kkc();
  const int64_t rows = (n1 - n0) * c.pix();
#pragma omp parallel for schedule(static) if (rows * kkc > 65536)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = n0 + r / c.pix(), p = r % c.pix(), oy = p / c.OW, ox = p % c.OW;
    float* out = cols + r * kkc;
    for (int64_t ky = 0; ky < c.KH; ky++) {
      const int64_t iy = oy * c.sH - c.pT + ky * c.dH;
      for (int64_t kx = 0; kx < c.KW; kx++) {
        const int64_t ix = ox * c.sW - c.pL + kx * c.dW;
        float* dst = out + (ky * c.KW + kx) * c.C;
        if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) std::memset(dst, 0, sizeof(float) * c.C);
        else std::memcpy(dst, x + ((n * c.H + iy) * c.W + ix) * c.C, sizeof(float) * c.C);
      }
    }
  }
}

// Adds cols [(n1-n0)·OH·OW, KH·KW·C] back into dx (NHWC, images n0..n1, zeroed by the caller); one image per thread.
void col2im(const Conv& c, const float* cols, float* dx, int64_t n0, int64_t n1) {
  const int64_t kkc = c.kkc();
#pragma omp parallel for schedule(static) if ((n1 - n0) > 1 && (n1 - n0) * c.pix() * kkc > 65536)
  for (int64_t n = n0; n < n1; n++) {
    for (int64_t p = 0; p < c.pix(); p++) {
      const int64_t oy = p / c.OW, ox = p % c.OW;
      const float* src = cols + ((n - n0) * c.pix() + p) * kkc;
      for (int64_t ky = 0; ky < c.KH; ky++) {
        const int64_t iy = oy * c.sH - c.pT + ky * c.dH;
        if (iy < 0 || iy >= c.H) continue;
        for (int64_t kx = 0; kx < c.KW; kx++) {
          const int64_t ix = ox * c.sW - c.pL + kx * c.dW;
          if (ix < 0 || ix >= c.W) continue;
          float* dst = dx + ((n * c.H + iy) * c.W + ix) * c.C;
          const float* s = src + (ky * c.KW + kx) * c.C;
          for (int64_t ch = 0; ch < c.C; ch++) dst[ch] += s[ch];
        }
      }
    }
  }
}

bool direct(const Conv& c) {  // 1×1, stride 1, no padding: x itself is the im2col matrix
  return c.KH == 1 && c.KW == 1 && c.sH == 1 && c.sW == 1 && c.pT == 0 && c.pL == 0 && c.OH == c.H && c.OW == c.W;
}

// Images per chunk so that one chunk's im2col buffer stays near 32 MiB.
int64_t chunkImages(const Conv& c) {
  const int64_t per = std::max<int64_t>(1, c.pix() * c.kkc());
  return std::max<int64_t>(1, std::min<int64_t>(c.N, (int64_t(8) << 20) / per));
}

// conv2d(x, w, y, ...conv): y [N,OH,OW,OC] = x ⊛ w, w [KH,KW,C,OC].
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* x = a.f(0); const float* w = a.f(1); float* y = a.f(2);
  Conv c = readConv(a, 3);
  if (!a.ok) return nullptr;
  const int64_t kkc = c.kkc(), rowsPer = c.pix();
  if (c.N * rowsPer * c.OC == 0) return nullptr;
  if (kkc == 0) { std::fill(y, y + c.N * rowsPer * c.OC, 0.f); return nullptr; }
  if (direct(c)) {
    check(a, sgemm('N', 'N', c.N * rowsPer, c.OC, kkc, 1.f, x, kkc, w, c.OC, 0.f, y, c.OC));
    return nullptr;
  }
  const int64_t chunk = chunkImages(c);
  std::vector<float> cols(chunk * rowsPer * kkc);
  for (int64_t n0 = 0; n0 < c.N && a.ok; n0 += chunk) {
    const int64_t n1 = std::min(c.N, n0 + chunk), rows = (n1 - n0) * rowsPer;
    im2col(c, x, cols.data(), n0, n1);
    check(a, sgemm('N', 'N', rows, c.OC, kkc, 1.f, cols.data(), kkc, w, c.OC, 0.f, y + n0 * rowsPer * c.OC, c.OC));
  }
  return nullptr;
}

// conv2dBackpropInput(dy, w, dx, ...conv): dx [N,H,W,C] from dy [N,OH,OW,OC].
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* dy = a.f(0); const float* w = a.f(1); float* dx = a.f(2);
  Conv c = readConv(a, 3);
  if (!a.ok) return nullptr;
  const int64_t kkc = c.kkc(), rowsPer = c.pix();
  std::fill(dx, dx + c.N * c.H * c.W * c.C, 0.f);
  if (c.N * rowsPer * kkc == 0) return nullptr;
  if (c.OC == 0) return nullptr;
  if (direct(c)) {
    check(a, sgemm('N', 'T', c.N * rowsPer, kkc, c.OC, 1.f, dy, c.OC, w, c.OC, 0.f, dx, kkc));
    return nullptr;
  }
  const int64_t chunk = chunkImages(c);
  std::vector<float> cols(chunk * rowsPer * kkc);
  for (int64_t n0 = 0; n0 < c.N && a.ok; n0 += chunk) {
    const int64_t n1 = std::min(c.N, n0 + chunk), rows = (n1 - n0) * rowsPer;
    check(a, sgemm('N', 'T', rows, kkc, c.OC, 1.f, dy + n0 * rowsPer * c.OC, c.OC, w, c.OC, 0.f, cols.data(), kkc));
    col2im(c, cols.data(), dx, n0, n1);
  }
  return nullptr;
}

// conv2dBackpropFilter(x, dy, dw, ...conv): dw [KH,KW,C,OC] = im2col(x)ᵀ · dy.
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* x = a.f(0); const float* dy = a.f(1); float* dw = a.f(2);
  Conv c = readConv(a, 3);
  if (!a.ok) return nullptr;
  const int64_t kkc = c.kkc(), rowsPer = c.pix();
  std::fill(dw, dw + kkc * c.OC, 0.f);
  if (c.N * rowsPer == 0 || kkc * c.OC == 0) return nullptr;
  if (direct(c)) {
    check(a, sgemm('T', 'N', kkc, c.OC, c.N * rowsPer, 1.f, x, kkc, dy, c.OC, 0.f, dw, c.OC));
    return nullptr;
  }
  const int64_t chunk = chunkImages(c);
  std::vector<float> cols(chunk * rowsPer * kkc);
  for (int64_t n0 = 0; n0 < c.N && a.ok; n0 += chunk) {
    const int64_t n1 = std::min(c.N, n0 + chunk), rows = (n1 - n0) * rowsPer;
    im2col(c, x, cols.data(), n0, n1);
    check(a, sgemm('T', 'N', kkc, c.OC, rows, 1.f, cols.data(), kkc, dy + n0 * rowsPer * c.OC, c.OC, 1.f, dw, c.OC));
  }
  return nullptr;
}

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

template <int OP, typename T = float>
void binLoop(const float* x, int64_t sx, const float* y, int64_t sy, T* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > 131072)
  for (int64_t i = 0; i < n; i++) out[i] = static_cast<T>(bin(OP, x[i * sx], y[i * sy]));
}

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

template <int OP, typename T = float>
void binStrided(const float* x, const float* y, T* out, int rank, const int32_t* shape, const int32_t* sx,
                const int32_t* sy) {
  // rank ≥ 1; the last dimension is the inner loop, the others are enumerated as rows.
  const int64_t inner = shape[rank - 1], ix = sx[rank - 1], iy = sy[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= shape[d];
#pragma omp parallel for schedule(static) if (rows * inner > 131072 && rows > 1)
  for (int64_t r = 0; r < rows; r++) {
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
    if (io == 0) { double s = 0; for (int64_t j = 0; j < inner; j++) s += xp[j]; acc[o] += s; }
    else { double* ap = acc.data() + o; for (int64_t j = 0; j < inner; j++) ap[j * io] += xp[j]; }
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

// select(cond: Uint8Array, t, e, out): out[i] = cond[i] ? t[i] : e[i], all of one length.
napi_value Select(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lc = 0, lt = 0, le = 0, lo = 0;
  const uint8_t* c = a.u8(0, &lc);
  const float* tv = a.f(1, &lt); const float* ev = a.f(2, &le); float* out = a.f(3, &lo);
  if (!a.ok) return nullptr;
  if (lc != lo || lt != lo || le != lo) { a.fail("select: lengths"); return nullptr; }
  const int64_t n = lo;
#pragma omp parallel for simd schedule(static) if (n > 131072)
  for (int64_t i = 0; i < n; i++) out[i] = c[i] ? tv[i] : ev[i];
  return nullptr;
}

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
  if (lm == lv && (!offset || lof == lm) && (!scale || ls == lm)) {
    // The usual case: one value per channel (the last dim). Per-channel factors first.
    const int64_t C = lm;
    std::vector<double> mul(C), add(C);
    for (int64_t c = 0; c < C; c++) {
      const double sc = scale ? scale[c] : 1.0;
      mul[c] = sc / std::sqrt(double(v[c]) + eps);
      add[c] = offset ? offset[c] : 0.0;
    }
#pragma omp parallel for schedule(static) if (n > 131072)
    for (int64_t i = 0; i < n; i++) {
      const int64_t c = i % C;
      out[i] = static_cast<float>(add[c] + (double(x[i]) - m[c]) * mul[c]);
    }
    return nullptr;
  }
  for (int64_t i = 0; i < n; i++) {
    const double sc = scale ? scale[i % ls] : 1.0, of = offset ? offset[i % lof] : 0.0;
    out[i] = static_cast<float>(of + (double(x[i]) - m[i % lm]) * sc / std::sqrt(double(v[i % lv]) + eps));
  }
  return nullptr;
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
void unLoop(const float* x, float* out, int64_t n, float alpha) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) out[i] = un<OP>(x[i], alpha);
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
#pragma omp parallel for simd schedule(static) if (len > 65536)
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

// threads(n?): sets OpenMP's thread count when n > 0; returns the current maximum.
napi_value Threads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (a.argc > 0) {
    const int64_t n = a.i(0);
    if (!a.ok) return nullptr;
    if (n > 0) omp_set_num_threads(static_cast<int>(n));
  }
  napi_value r;
  napi_create_int32(env, omp_get_max_threads(), &r);
  return r;
}

napi_value Init(napi_env env, napi_value exports) {
  // Tensors are fresh ArrayBuffers from malloc/calloc; above glibc's default 128 KiB they are mmap'd and every page is
  // faulted in on first write (≈2 µs a page here: slower than the arithmetic). Served from the heap instead, freed
  // buffers are reused with their pages resident.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  const struct { const char* name; napi_callback fn; } fns[] = {
      {"gemm", Gemm}, {"conv2d", Conv2d}, {"conv2dBackpropInput", Conv2dBackpropInput},
      {"conv2dBackpropFilter", Conv2dBackpropFilter}, {"binary", Binary}, {"unary", Unary}, {"epilogue", Epilogue},
      {"binaryBroadcast", BinaryBroadcast}, {"sum", Sum},
      {"compare", Compare}, {"select", Select}, {"batchNorm", BatchNorm}, {"adam", Adam},
      {"threads", Threads}};
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  const dnnl_version_t* ver = dnnl_version();
  napi_value s;
  char buf[64];
  snprintf(buf, sizeof buf, "oneDNN %d.%d.%d", ver->major, ver->minor, ver->patch);
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, exports, "library", s);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
