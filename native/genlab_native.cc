// genlab's native kernels for the TF.js `native` backend (src/engine/native.ts): matrix products on oneDNN's sgemm,
// convolutions on oneDNN's convolution primitives (im2col + sgemm where those do not fit), the element-wise work
// around them in vectorised C++ with OpenMP. Raw Node-API (no node-addon-api):
// every function takes Float32Arrays and integers, writes into a caller-allocated output, and returns nothing.
#define NAPI_VERSION 8
#include <node_api.h>
#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <malloc.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// glibc's libmvec has SIMD versions of these (math.h declares them only under -ffast-math, which would also
// reassociate sums and break the bit-identical Adam). Declared here, the vectoriser calls them on 8 or 16 floats at a
// time instead of the scalar function per element (≈20× faster for exp, log1p, tanh); their error is within glibc's
// published bounds for the vector variants (≤ 4 ulp; measured ≤ 3 ulp on the test ranges). x86-64 glibc ≥ 2.35 only
// (log1pf, expm1f and tanhf arrived then; libm's linker script links libmvec); elsewhere the loops call the scalar
// functions.
#if defined(__x86_64__) && defined(__GLIBC__) && __GLIBC_PREREQ(2, 35)
extern "C" {
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
float logf(float) noexcept;
#pragma omp declare simd notinbranch
float log1pf(float) noexcept;
#pragma omp declare simd notinbranch
float expm1f(float) noexcept;
#pragma omp declare simd notinbranch
float tanhf(float) noexcept;
}
#endif

namespace {

// Thread use. Waking OpenMP's sleeping second thread (OMP_WAIT_POLICY=PASSIVE, see src/engine/native.ts) costs
// ~50–60 µs on this 2-core VM when idle, and a time slice when the other core is busy. Measured idle, 1 → 2 threads:
// exp over 100k floats 39 → 101 µs, Adam over 313,600 values 180 → 154 µs, sgemm 128×400×784 (80 MFLOP)
// 730 → 433 µs, conv 14²×32 → 7²×64 (321 MFLOP) 2.95 → 1.53 ms; under load small sgemms (2–4 MFLOP) took twice as long
// on 2 threads. So element-wise loops take a second thread only from 1M elements on, and matrix products and
// convolutions only from 32 MFLOP.
constexpr int64_t kParallelElements = int64_t(1) << 20;
constexpr double kParallelFlops = 32e6;

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

// OpenMP's thread count for the calling thread while in scope (oneDNN sizes its work split by it, when a primitive is
// built and when sgemm or a primitive runs).
struct ThreadsScope {
  int old;
  explicit ThreadsScope(int n) : old(omp_get_max_threads()) { if (n != old) omp_set_num_threads(n); }
  ~ThreadsScope() { if (omp_get_max_threads() != old) omp_set_num_threads(old); }
};

int threadsFor(double flops) { return flops < kParallelFlops ? 1 : omp_get_max_threads(); }

dnnl_status_t sgemm(char transA, char transB, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float* A, dnnl_dim_t lda,
                    const float* B, dnnl_dim_t ldb, float beta, float* C, dnnl_dim_t ldc) {
  SignalsHeld held;
  ThreadsScope threads(threadsFor(2.0 * M * N * K));
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

// In place C [rows, N] = act(C + bias), one loop per (bias mode, activation): with both known at compile time the
// inner loop vectorises (with them tested per element it ran scalar, ≈4 ns per element).
template <int BIAS, int ACT>
void biasActLoop(float* C, int64_t rows, int64_t N, const float* bias, float alpha) {
#pragma omp parallel for schedule(static) if (rows * N > kParallelElements)
  for (int64_t r = 0; r < rows; r++) {
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

template <int BIAS>
void biasActFor(float* C, int64_t rows, int64_t N, const float* bias, int64_t actKind, float alpha) {
  switch (actKind) {
    case RELU: return biasActLoop<BIAS, RELU>(C, rows, N, bias, alpha);
    case SIGMOID: return biasActLoop<BIAS, SIGMOID>(C, rows, N, bias, alpha);
    case RELU6: return biasActLoop<BIAS, RELU6>(C, rows, N, bias, alpha);
    case ELU: return biasActLoop<BIAS, ELU>(C, rows, N, bias, alpha);
    case LEAKY: return biasActLoop<BIAS, LEAKY>(C, rows, N, bias, alpha);
    default: return biasActLoop<BIAS, LINEAR>(C, rows, N, bias, alpha);
  }
}

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

// The three arrays of a convolution call (x or dx, w or dw, y or dy: arguments 0–2 in the order `order` names them),
// checked against the shape, which follows from argument 3 on; false (and a JS error) when one is too short.
struct ConvArrays { float* x; float* w; float* y; };
bool readConvCall(Args& a, const char order[3], Conv& c, ConvArrays& arr) {
  size_t len[3] = {0, 0, 0};
  float* p[3];
  for (size_t k = 0; k < 3; k++) p[k] = a.f(k, &len[k]);
  c = readConv(a, 3);
  if (!a.ok) return false;
  for (size_t k = 0; k < 3; k++) {
    const int64_t need = order[k] == 'x' ? c.N * c.H * c.W * c.C : order[k] == 'w' ? c.KH * c.KW * c.C * c.OC : c.N * c.OH * c.OW * c.OC;
    if (static_cast<int64_t>(len[k]) < need) { a.fail("convolution: array too short for the shape"); return false; }
    (order[k] == 'x' ? arr.x : order[k] == 'w' ? arr.w : arr.y) = p[k];
  }
  return true;
}

// Rows [n0, n1) images of x (NHWC) → cols [(n1-n0)·OH·OW, KH·KW·C], zero where the window leaves the image.
void im2col(const Conv& c, const float* x, float* cols, int64_t n0, int64_t n1) {
  const int64_t kkc = c.kkc();
  const int64_t rows = (n1 - n0) * c.pix();
#pragma omp parallel for schedule(static) if (rows * kkc > kParallelElements)
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

// col2im for images [n0, n1): dx (NHWC) from colsT [KH·KW·C][(n1-n0)·OH·OW], the product Wᵀ·dy stored tap-major so that
// each tap's values over an image are contiguous. The pixels of dx fall into sH·sW phases (iy mod sH, ix mod sW); within
// a phase every tap that reaches it reads a contiguous rectangle of its row of colsT, shifted by a constant, and adds it
// into a contiguous buffer: vectorised adds with no bounds checks, where scattering each tap's values to every sW-th
// pixel (the usual col2im) ran at ≈1.6 ns an element for one channel. Each pixel of dx is written once, from its phase.
void col2imPhases(const Conv& c, const float* colsT, float* dx, int64_t n0, int64_t n1) {
  const int64_t ld = (n1 - n0) * c.pix();
  const int64_t maxQ = (c.H + c.sH - 1) / c.sH, maxP = (c.W + c.sW - 1) / c.sW;
#pragma omp parallel if ((n1 - n0) > 1 && ld * c.kkc() > kParallelElements)
  {
    std::vector<float> acc(maxQ * maxP);
#pragma omp for schedule(static)
    for (int64_t n = n0; n < n1; n++) {
      const int64_t img = (n - n0) * c.pix();
      for (int64_t ry = 0; ry < std::min(c.sH, c.H); ry++) {
        const int64_t Q = (c.H - ry + c.sH - 1) / c.sH;
        for (int64_t rx = 0; rx < std::min(c.sW, c.W); rx++) {
          const int64_t P = (c.W - rx + c.sW - 1) / c.sW;
          for (int64_t ch = 0; ch < c.C; ch++) {
            std::fill(acc.begin(), acc.begin() + Q * P, 0.f);
            float* a = acc.data();
            for (int64_t ky = 0; ky < c.KH; ky++) {
              const int64_t ty = ry + c.pT - ky * c.dH;  // oy·sH = q·sH + ty
              if (ty % c.sH != 0) continue;           // no output row reaches this phase through ky
              const int64_t ay = ty / c.sH;            // oy = q + ay (exact division)
              const int64_t q0 = std::max<int64_t>(0, -ay), q1 = std::min(Q, c.OH - ay);
              for (int64_t kx = 0; kx < c.KW; kx++) {
                const int64_t tx = rx + c.pL - kx * c.dW;
                if (tx % c.sW != 0) continue;
                const int64_t ax = tx / c.sW;
                const int64_t p0 = std::max<int64_t>(0, -ax), p1 = std::min(P, c.OW - ax);
                if (p1 <= p0) continue;
                const float* tap = colsT + ((ky * c.KW + kx) * c.C + ch) * ld + img;
                for (int64_t q = q0; q < q1; q++) {
                  const float* src = tap + (q + ay) * c.OW + ax;
                  float* dst = a + q * P;
#pragma omp simd
                  for (int64_t p = p0; p < p1; p++) dst[p] += src[p];
                }
              }
            }
            for (int64_t q = 0; q < Q; q++) {
              float* row = dx + ((n * c.H + q * c.sH + ry) * c.W + rx) * c.C + ch;
              for (int64_t p = 0; p < P; p++) row[p * c.sW * c.C] = a[q * P + p];
            }
          }
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

// oneDNN's convolution primitives (JIT kernels that work on the NHWC arrays in place: no im2col buffer, no col2im
// scatter; measured 1.4–6.7× faster than im2col + sgemm at the DCGAN's sizes, one thread). Activations stay in the caller's NHWC
// arrays; filters (HWIO) are reordered into the layout the primitive picked, and back for the filter gradient.
// Primitives are built once per shape (JIT code generation costs milliseconds) and kept. Where oneDNN offers only its
// reference implementation, or none, the im2col + sgemm path below runs instead.
enum ConvPass { FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2 };

dnnl_engine_t cpuEngine() {
  static dnnl_engine_t e = [] { dnnl_engine_t x = nullptr; dnnl_engine_create(&x, dnnl_cpu, 0); return x; }();
  return e;
}
dnnl_stream_t cpuStream() {
  static dnnl_stream_t s = [] { dnnl_stream_t x = nullptr; dnnl_stream_create(&x, cpuEngine(), dnnl_stream_default_flags); return x; }();
  return s;
}

// One pass of one convolution shape. `act` is the activation of the primitive's input side (x, or dx for BWD_DATA),
// `out` the output side (y or dy); `wei` the filter in the primitive's layout, `userWei` the caller's HWIO filter
// (the same object when the layouts agree, then reorder is null).
// `fwd` stays alive as long as the primitive: backward descriptors keep a raw pointer to their forward hint.
struct ConvPrim {
  dnnl_primitive_desc_t fwd = nullptr;
  dnnl_primitive_t prim = nullptr, reorder = nullptr;
  dnnl_memory_t act = nullptr, out = nullptr, wei = nullptr, userWei = nullptr;
  std::string impl;
  ~ConvPrim() {
    for (auto p : {prim, reorder}) if (p) dnnl_primitive_destroy(p);
    if (fwd) dnnl_primitive_desc_destroy(fwd);
    if (wei != userWei && wei) dnnl_memory_destroy(wei);
    for (auto m : {act, out, userWei}) if (m) dnnl_memory_destroy(m);
  }
};

// A primitive descriptor built with `init`, or null (creation failed, or only oneDNN's slow reference kernel fits).
template <typename Init>
dnnl_primitive_desc_t convPd(Init init, const_dnnl_primitive_desc_t hint) {
  dnnl_convolution_desc_t d;
  dnnl_primitive_desc_t pd = nullptr;
  if (init(&d) != dnnl_success || dnnl_primitive_desc_create(&pd, &d, nullptr, cpuEngine(), hint) != dnnl_success) return nullptr;
  const char* impl = nullptr;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  if (!impl || std::strncmp(impl, "ref", 3) == 0) { dnnl_primitive_desc_destroy(pd); return nullptr; }
  return pd;
}

std::unique_ptr<ConvPrim> makeConvPrim(const Conv& c, int pass) {
  dnnl_memory_desc_t x, y, wAny, wUser;
  const dnnl_dims_t xd = {c.N, c.C, c.H, c.W}, yd = {c.N, c.OC, c.OH, c.OW}, wd = {c.OC, c.C, c.KH, c.KW};
  dnnl_memory_desc_init_by_tag(&x, 4, xd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&y, 4, yd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&wAny, 4, wd, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&wUser, 4, wd, dnnl_f32, dnnl_hwio);
  // oneDNN's dilation counts skipped pixels (TF.js's minus 1). Right/bottom padding: what makes the last window end at
  // the input's edge; TF.js's 'valid' can leave up to stride−1 pixels unused, which oneDNN reads as padding 0 (its
  // output size rounds down the same way).
  const int64_t kh = (c.KH - 1) * c.dH + 1, kw = (c.KW - 1) * c.dW + 1;
  const dnnl_dims_t strides = {c.sH, c.sW}, dil = {c.dH - 1, c.dW - 1}, padL = {c.pT, c.pL},
      padR = {std::max<int64_t>(0, (c.OH - 1) * c.sH + kh - c.H - c.pT), std::max<int64_t>(0, (c.OW - 1) * c.sW + kw - c.W - c.pL)};
  dnnl_primitive_desc_t fwd = convPd([&](dnnl_convolution_desc_t* d) {
    return dnnl_dilated_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct, &x, &wAny, nullptr, &y, strides, dil, padL, padR);
  }, nullptr);
  if (!fwd) return nullptr;
  dnnl_primitive_desc_t pd = fwd;
  if (pass == BWD_DATA) pd = convPd([&](dnnl_convolution_desc_t* d) {
    return dnnl_dilated_convolution_backward_data_desc_init(d, dnnl_convolution_direct, &x, &wAny, &y, strides, dil, padL, padR);
  }, fwd);
  if (pass == BWD_WEIGHTS) pd = convPd([&](dnnl_convolution_desc_t* d) {
    return dnnl_dilated_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, &x, &wAny, nullptr, &y, strides, dil, padL, padR);
  }, fwd);
  auto p = std::make_unique<ConvPrim>();
  if (pd != fwd) p->fwd = fwd;
  if (!pd) return nullptr;
  const dnnl_memory_desc_t* w = dnnl_primitive_desc_query_md(pd, pass == BWD_WEIGHTS ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  bool ok = dnnl_primitive_create(&p->prim, pd) == dnnl_success &&
            dnnl_memory_create(&p->act, &x, cpuEngine(), DNNL_MEMORY_NONE) == dnnl_success &&
            dnnl_memory_create(&p->out, &y, cpuEngine(), DNNL_MEMORY_NONE) == dnnl_success &&
            dnnl_memory_create(&p->userWei, &wUser, cpuEngine(), DNNL_MEMORY_NONE) == dnnl_success;
  const char* impl = nullptr;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  p->impl = impl ? impl : "";
  p->wei = p->userWei;
  if (ok && !dnnl_memory_desc_equal(w, &wUser)) {
    dnnl_primitive_desc_t rpd = nullptr;
    const bool toUser = pass == BWD_WEIGHTS;
    ok = dnnl_memory_create(&p->wei, w, cpuEngine(), DNNL_MEMORY_ALLOCATE) == dnnl_success &&
         dnnl_reorder_primitive_desc_create(&rpd, toUser ? w : &wUser, cpuEngine(), toUser ? &wUser : w, cpuEngine(), nullptr) == dnnl_success &&
         dnnl_primitive_create(&p->reorder, rpd) == dnnl_success;
    if (rpd) dnnl_primitive_desc_destroy(rpd);
  }
  dnnl_primitive_desc_destroy(pd);
  return ok ? std::move(p) : nullptr;
}

// Threads for a convolution pass (see kParallelFlops). Besides the wake-up, oneDNN's kernels synchronise threads with
// spinning barriers (the filter gradient splits the batch and reduces): with a core busy elsewhere, a barrier waits out
// the other thread's time slice. Measured at 2 threads on 2 loaded cores, 28×28×1 → 32, 5×5, batch 64 (20 MFLOP):
// filter gradient 3.6 ms against 0.17 ms on one thread.
int convThreads(const Conv& c) {
  return threadsFor(2.0 * c.N * c.OH * c.OW * c.OC * c.KH * c.KW * c.C);
}

// The primitive for (pass, shape, thread count), built on first use; null when oneDNN has no fast kernel for it.
ConvPrim* convPrim(const Conv& c, int pass) {
  using Key = std::array<int64_t, 17>;
  static std::map<Key, std::unique_ptr<ConvPrim>> cache;
  const Key key = {pass, omp_get_max_threads(), c.N, c.H, c.W, c.C, c.KH, c.KW, c.OC, c.OH, c.OW, c.sH, c.sW, c.pT, c.pL, c.dH, c.dW};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second.get();
  if (cache.size() >= 512) cache.clear();  // shapes of many different models: start over rather than grow forever
  return (cache[key] = makeConvPrim(c, pass)).get();
}

// Which passes go to oneDNN (a fixed rule, not timing, so that results do not vary from run to run):
// - not 1×1 kernels, which stay on sgemm (one product when the stride is 1): oneDNN 2.6's jit_1x1 backward-weights
//   kernel writes past its workspace for NHWC with a stride > 1 and few channels (uxlfoundation/oneDNN#6035;
//   reproduced here as heap corruption with 2 threads);
// - not the input gradient of fewer than 8 input channels, where its jit kernel was 1.2–2.5× slower than
//   sgemm + col2im (5×5 kernels, 28×28, measured by scratch/ubench.ts); faster from 8 channels on.
bool oneDnnConvFits(const Conv& c, int pass) {
  return c.N * c.H * c.W * c.C * c.OH * c.OW * c.OC * c.KH * c.KW != 0 && c.KH * c.KW > 1 && (pass != BWD_DATA || c.C >= 8);
}

// One convolution at a time: the cache, a primitive's memory handles and the stream are shared by every Node thread
// (worker_threads) that loads the addon.
std::mutex convMutex;

// Runs pass `pass` with oneDNN: act = x (or dx), out = y (or dy), w the HWIO filter (or its gradient). False when
// oneDNN cannot (empty shapes, no fast kernel): the caller uses im2col + sgemm.
bool dnnlConv(Args& a, const Conv& c, int pass, float* act, float* w, float* out) {
  if (!oneDnnConvFits(c, pass)) return false;
  std::lock_guard<std::mutex> lock(convMutex);
  SignalsHeld held;  // JIT code runs (and is generated) here: see SignalsHeld
  ThreadsScope threads(convThreads(c));
  ConvPrim* p = convPrim(c, pass);
  if (!p) return false;
  dnnl_memory_set_data_handle(p->act, act);
  dnnl_memory_set_data_handle(p->out, out);
  dnnl_memory_set_data_handle(p->userWei, w);
  dnnl_stream_t s = cpuStream();
  bool ok = true;
  auto run = [&](dnnl_primitive_t prim, std::initializer_list<dnnl_exec_arg_t> args) {
    ok = ok && dnnl_primitive_execute(prim, s, static_cast<int>(args.size()), args.begin()) == dnnl_success;
  };
  if (p->reorder && pass != BWD_WEIGHTS) run(p->reorder, {{DNNL_ARG_FROM, p->userWei}, {DNNL_ARG_TO, p->wei}});
  if (pass == FWD) run(p->prim, {{DNNL_ARG_SRC, p->act}, {DNNL_ARG_WEIGHTS, p->wei}, {DNNL_ARG_DST, p->out}});
  if (pass == BWD_DATA) run(p->prim, {{DNNL_ARG_DIFF_DST, p->out}, {DNNL_ARG_WEIGHTS, p->wei}, {DNNL_ARG_DIFF_SRC, p->act}});
  if (pass == BWD_WEIGHTS) run(p->prim, {{DNNL_ARG_SRC, p->act}, {DNNL_ARG_DIFF_DST, p->out}, {DNNL_ARG_DIFF_WEIGHTS, p->wei}});
  if (p->reorder && pass == BWD_WEIGHTS) run(p->reorder, {{DNNL_ARG_FROM, p->wei}, {DNNL_ARG_TO, p->userWei}});
  ok = ok && dnnl_stream_wait(s) == dnnl_success;
  if (!ok) a.fail("oneDNN convolution failed");
  return true;
}

// convImpl(pass, ...conv): the oneDNN implementation a convolution pass runs on, or null for im2col + sgemm (tests,
// profiling).
napi_value ConvImpl(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t pass = a.i(0);
  Conv c = readConv(a, 1);
  if (!a.ok) return nullptr;
  napi_value r;
  std::lock_guard<std::mutex> lock(convMutex);
  SignalsHeld held;
  ThreadsScope threads(convThreads(c));
  ConvPrim* p = oneDnnConvFits(c, static_cast<int>(pass)) ? convPrim(c, static_cast<int>(pass)) : nullptr;
  if (p) napi_create_string_utf8(env, p->impl.c_str(), NAPI_AUTO_LENGTH, &r);
  else napi_get_null(env, &r);
  return r;
}

// conv2d(x, w, y, ...conv): y [N,OH,OW,OC] = x ⊛ w, w [KH,KW,C,OC].
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a(env, info);
  Conv c;
  ConvArrays arr;
  if (!readConvCall(a, "xwy", c, arr) || dnnlConv(a, c, FWD, arr.x, arr.w, arr.y)) return nullptr;
  const float *x = arr.x, *w = arr.w;
  float* y = arr.y;
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
  Conv c;
  ConvArrays arr;
  if (!readConvCall(a, "ywx", c, arr) || dnnlConv(a, c, BWD_DATA, arr.x, arr.w, arr.y)) return nullptr;
  const float *dy = arr.y, *w = arr.w;
  float* dx = arr.x;
  const int64_t kkc = c.kkc(), rowsPer = c.pix();
  if (c.N * rowsPer * kkc == 0 || c.OC == 0) { std::fill(dx, dx + c.N * c.H * c.W * c.C, 0.f); return nullptr; }
  if (direct(c)) {
    check(a, sgemm('N', 'T', c.N * rowsPer, kkc, c.OC, 1.f, dy, c.OC, w, c.OC, 0.f, dx, kkc));
    return nullptr;
  }
  const int64_t chunk = chunkImages(c);
  std::unique_ptr<float[]> colsT(new float[chunk * rowsPer * kkc]);  // every element written by the product
  for (int64_t n0 = 0; n0 < c.N && a.ok; n0 += chunk) {
    const int64_t n1 = std::min(c.N, n0 + chunk), rows = (n1 - n0) * rowsPer;
    check(a, sgemm('N', 'T', kkc, rows, c.OC, 1.f, w, c.OC, dy + n0 * rowsPer * c.OC, c.OC, 0.f, colsT.get(), rows));
    col2imPhases(c, colsT.get(), dx, n0, n1);
  }
  return nullptr;
}

// conv2dBackpropFilter(x, dy, dw, ...conv): dw [KH,KW,C,OC] = im2col(x)ᵀ · dy.
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  Args a(env, info);
  Conv c;
  ConvArrays arr;
  if (!readConvCall(a, "xyw", c, arr) || dnnlConv(a, c, BWD_WEIGHTS, arr.x, arr.w, arr.y)) return nullptr;
  const float *x = arr.x, *dy = arr.y;
  float* dw = arr.w;
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

// `if (parallel : …)`, not `if (…)`: on a combined `parallel for simd` a plain `if` also turns the simd part off, so
// arrays below the threading threshold ran scalar.
template <int OP, typename T, int SX, int SY>
void binLoopStrided(const float* x, const float* y, T* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (parallel : n > kParallelElements)
  for (int64_t i = 0; i < n; i++) out[i] = static_cast<T>(bin(OP, x[i * SX], y[i * SY]));
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
#pragma omp parallel for schedule(static) if (rows * inner > kParallelElements && rows > 1)
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

// select(cond: Uint8Array, t, e, out): out[i] = cond[i] ? t[i] : e[i], all of one length.
napi_value Select(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lc = 0, lt = 0, le = 0, lo = 0;
  const uint8_t* c = a.u8(0, &lc);
  const float* tv = a.f(1, &lt); const float* ev = a.f(2, &le); float* out = a.f(3, &lo);
  if (!a.ok) return nullptr;
  if (lc != lo || lt != lo || le != lo) { a.fail("select: lengths"); return nullptr; }
  const int64_t n = lo;
#pragma omp parallel for simd schedule(static) if (parallel : n > kParallelElements)
  for (int64_t i = 0; i < n; i++) out[i] = c[i] ? tv[i] : ev[i];
  return nullptr;
}

// out = add + (x − mean)·mul per channel over x [rows, C], in double; row by row (no modulo per element, so the inner
// loop vectorises).
void normalizeRows(const float* x, const float* mean, const double* mul, const double* add, float* out, int64_t rows, int64_t C) {
#pragma omp parallel for schedule(static) if (rows * C > kParallelElements)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    float* o = out + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = static_cast<float>(add[c] + (double(xr[c]) - mean[c]) * mul[c]);
  }
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
  if (lm == lv && (!offset || lof == lm) && (!scale || ls == lm) && n % static_cast<int64_t>(lm) == 0) {
    // The usual case: one value per channel (the last dim). Per-channel factors first.
    const int64_t C = lm;
    std::vector<double> mul(C), add(C);
    for (int64_t c = 0; c < C; c++) {
      const double sc = scale ? scale[c] : 1.0;
      mul[c] = sc / std::sqrt(double(v[c]) + eps);
      add[c] = offset ? offset[c] : 0.0;
    }
    normalizeRows(x, m, mul.data(), add.data(), out, n / C, C);
    return nullptr;
  }
  for (int64_t i = 0; i < n; i++) {
    const double sc = scale ? scale[i % ls] : 1.0, of = offset ? offset[i % lof] : 0.0;
    out[i] = static_cast<float>(of + (double(x[i]) - m[i % lm]) * sc / std::sqrt(double(v[i % lv]) + eps));
  }
  return nullptr;
}

// batchNormGrad(x, mean, variance, scale|null, dy, eps, dx, dMean, dVariance, dScale, dOffset): the gradient of
// FusedBatchNorm over x [rows, C] with per-channel mean, variance, scale (TF.js's batchNormGradConfig, in one pass
// instead of ~12 full-size element-wise kernels and 4 reductions). With inv = rsqrt(variance + ε) as TF.js rounds it
// (float32 sum, float32 result): dx = dy·inv·scale (TF.js's float32 order), and with S1 = Σ dy, S2 = Σ dy·(x − mean)
// over the rows (in double): dMean = −inv·scale·S1, dVariance = −½·inv³·scale·S2, dScale = inv·S2, dOffset = S1.
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, lm = 0, lv = 0, ls = 0, ldy = 0, ldx = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0;
  const float* x = a.f(0, &lx); const float* m = a.f(1, &lm); const float* v = a.f(2, &lv);
  const float* scale = a.f(3, &ls, true); const float* dy = a.f(4, &ldy);
  const float eps = static_cast<float>(a.d(5));
  float* dx = a.f(6, &ldx); float* dMean = a.f(7, &l1); float* dVar = a.f(8, &l2); float* dScale = a.f(9, &l3); float* dOff = a.f(10, &l4);
  if (!a.ok) return nullptr;
  const int64_t C = static_cast<int64_t>(lm), n = static_cast<int64_t>(lx);
  if (C == 0 || lv != lm || (scale && ls != lm) || ldy != lx || ldx != lx || n % C != 0 || l1 != lm || l2 != lm || l3 != lm || l4 != lm) {
    a.fail("batchNormGrad: lengths"); return nullptr;
  }
  std::vector<float> inv(C), sc(C);
  for (int64_t c = 0; c < C; c++) {
    inv[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v[c] + eps)));
    sc[c] = scale ? scale[c] : 1.f;
  }
  std::vector<double> s1(C, 0.0), s2(C, 0.0);
  const float *invp = inv.data(), *scp = sc.data();
  double *s1p = s1.data(), *s2p = s2.data();
  for (int64_t r = 0; r < n / C; r++) {
    const float *xr = x + r * C, *dyr = dy + r * C;
    float* dxr = dx + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      const float g = dyr[c];
      dxr[c] = (g * invp[c]) * scp[c];
      s1p[c] += g;
      s2p[c] += static_cast<double>(g) * (xr[c] - m[c]);
    }
  }
  for (int64_t c = 0; c < C; c++) {
    const double i = inv[c], s = sc[c];
    dMean[c] = static_cast<float>(-i * s * s1[c]);
    dVar[c] = static_cast<float>(-0.5 * i * i * i * s * s2[c]);
    dScale[c] = static_cast<float>(i * s2[c]);
    dOff[c] = static_cast<float>(s1[c]);
  }
  return nullptr;
}

// batchNormTraining(x, gamma, beta, eps, y, mean, variance): training-mode batch normalisation over x [rows, C]
// (Ioffe & Szegedy 2015, Algorithm 1) in three passes instead of TF.js's moments + batchNorm (≈8 kernels): the batch
// mean and biased variance per channel (sums in double, two-pass), then y = β + (x − μ)·γ/√(σ² + ε) in double, as the
// FusedBatchNorm kernel computes it from the float32 μ and σ².
napi_value BatchNormTraining(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, lg = 0, lb = 0, ly = 0, lm = 0, lv = 0;
  const float* x = a.f(0, &lx); const float* gamma = a.f(1, &lg); const float* beta = a.f(2, &lb);
  const double eps = a.d(3);
  float* y = a.f(4, &ly); float* mean = a.f(5, &lm); float* variance = a.f(6, &lv);
  if (!a.ok) return nullptr;
  const int64_t C = static_cast<int64_t>(lg), n = static_cast<int64_t>(lx);
  if (C == 0 || n == 0 || n % C != 0 || lb != lg || ly != lx || lm != lg || lv != lg) { a.fail("batchNormTraining: lengths"); return nullptr; }
  const int64_t rows = n / C;
  std::vector<double> sum(C, 0.0), dev(C, 0.0), mul(C), add(C);
  double *sp = sum.data(), *dp = dev.data();
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) sp[c] += xr[c];
  }
  for (int64_t c = 0; c < C; c++) mean[c] = static_cast<float>(sum[c] / double(rows));
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) { const double d = double(xr[c]) - mean[c]; dp[c] += d * d; }
  }
  for (int64_t c = 0; c < C; c++) {
    variance[c] = static_cast<float>(dev[c] / double(rows));
    mul[c] = double(gamma[c]) / std::sqrt(double(variance[c]) + eps);
    add[c] = beta[c];
  }
  normalizeRows(x, mean, mul.data(), add.data(), y, rows, C);
  return nullptr;
}

// batchNormTrainingGrad(dy, x, mean, variance, gamma, dMean, dVariance, eps, dx, dGamma, dBeta): the gradient of
// batchNormTraining through its batch statistics, in two passes. With r = 1/√(σ² + ε), x̂ = (x − μ)·r, N rows, and
// gμ, gσ² the gradients reaching the mean and variance outputs (zeros when only y is used):
//   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γr·(dy − dβ/N − x̂·dγ/N) + gμ/N + gσ²·2(x − μ)/N   (sums over rows, in double).
napi_value BatchNormTrainingGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ldy = 0, lx = 0, lm = 0, lv = 0, lg = 0, lgm = 0, lgv = 0, ldx = 0, ldg = 0, ldb = 0;
  const float* dy = a.f(0, &ldy); const float* x = a.f(1, &lx); const float* mean = a.f(2, &lm);
  const float* variance = a.f(3, &lv); const float* gamma = a.f(4, &lg);
  const float* gMean = a.f(5, &lgm); const float* gVar = a.f(6, &lgv);
  const double eps = a.d(7);
  float* dx = a.f(8, &ldx); float* dGamma = a.f(9, &ldg); float* dBeta = a.f(10, &ldb);
  if (!a.ok) return nullptr;
  const int64_t C = static_cast<int64_t>(lm), n = static_cast<int64_t>(lx);
  if (C == 0 || n % C != 0 || ldy != lx || ldx != lx || lv != lm || lg != lm || lgm != lm || lgv != lm || ldg != lm || ldb != lm) {
    a.fail("batchNormTrainingGrad: lengths"); return nullptr;
  }
  const int64_t rows = n / C;
  std::vector<double> r(C), s1(C, 0.0), s2(C, 0.0);
  for (int64_t c = 0; c < C; c++) r[c] = 1.0 / std::sqrt(double(variance[c]) + eps);
  double *s1p = s1.data(), *s2p = s2.data();
  for (int64_t row = 0; row < rows; row++) {
    const float *xr = x + row * C, *dyr = dy + row * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) { s1p[c] += dyr[c]; s2p[c] += double(dyr[c]) * (double(xr[c]) - mean[c]); }
  }
  // dx = A·dy + B·(x − μ) + D per channel, from the formula above.
  std::vector<double> A(C), B(C), D(C);
  const double N = double(rows);
  for (int64_t c = 0; c < C; c++) {
    const double dbeta = s1[c], dgamma = s2[c] * r[c], gr = double(gamma[c]) * r[c];
    dBeta[c] = static_cast<float>(dbeta);
    dGamma[c] = static_cast<float>(dgamma);
    A[c] = gr;
    B[c] = -gr * r[c] * dgamma / N + 2.0 * gVar[c] / N;
    D[c] = -gr * dbeta / N + gMean[c] / N;
  }
  const double *Ap = A.data(), *Bp = B.data(), *Dp = D.data();
#pragma omp parallel for schedule(static) if (n > kParallelElements)
  for (int64_t row = 0; row < rows; row++) {
    const float *xr = x + row * C, *dyr = dy + row * C;
    float* o = dx + row * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = static_cast<float>(Ap[c] * dyr[c] + Bp[c] * (double(xr[c]) - mean[c]) + Dp[c]);
  }
  return nullptr;
}

// activationGrad(op, dy, v, out, alpha): the gradient of an activation from dy and v (its input x, or for sigmoid and tanh
// its output y) in one pass, with TF.js's float32 operations in TF.js's order (its gradients take 2–3 kernels):
// relu dy·step(x); leaky relu x > 0 ? dy : dy·α; sigmoid dy·(y·(1 − y)); tanh (1 − y²)·dy.
enum ActGrad { G_RELU = 0, G_LEAKY = 1, G_SIGMOID = 2, G_TANH = 3 };
template <int OP>
void actGradLoop(const float* dy, const float* v, float* out, int64_t n, float alpha) {
#pragma omp parallel for simd schedule(static) if (parallel : n > kParallelElements)
  for (int64_t i = 0; i < n; i++) {
    const float g = dy[i], x = v[i];
    if (OP == G_RELU) out[i] = g * (std::isnan(x) ? NAN : (x > 0 ? 1.f : 0.f));
    if (OP == G_LEAKY) out[i] = x > 0 ? g : g * alpha;
    if (OP == G_SIGMOID) out[i] = g * (x * (1.f - x));
    if (OP == G_TANH) out[i] = (1.f - x * x) * g;
  }
}

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
#pragma omp parallel for simd schedule(static) if (parallel : n > kParallelElements)
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

// The VAE's loss terms as single kernels (src/engine/kernels/fused-losses.ts registers them and their gradients; the
// formulas, their sources and the composite TF.js forms are in src/models/losses.ts). The element-wise float32
// operations are those of the composite forms, in their order; per-example sums accumulate in double, as the Sum
// kernel does. Rows are the last axis (D values); an input of fewer elements repeats over the leading rows
// (x [n, D] against logits [k, n, D], the posterior [n, L] against noise [k, n, L]).

// bernoulliLogLikelihood(x, logits, out, D): out[r] = −Σ_d [max(l, 0) − l·x + log1p(exp(−|l|))] over row r.
napi_value BernoulliLogLikelihood(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lx = 0, ll = 0, lo = 0;
  const float* x = a.f(0, &lx); const float* l = a.f(1, &ll); float* out = a.f(2, &lo);
  const int64_t D = a.i(3);
  if (!a.ok) return nullptr;
  if (D <= 0 || lx == 0 || ll % D != 0 || lx % D != 0 || ll % lx != 0 || lo != ll / D) { a.fail("bernoulliLogLikelihood: lengths"); return nullptr; }
  const int64_t rows = lo, xRows = lx / D;
#pragma omp parallel for schedule(static) if (static_cast<int64_t>(ll) > kParallelElements)
  for (int64_t r = 0; r < rows; r++) {
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
#pragma omp parallel for schedule(static) if (static_cast<int64_t>(ll) > kParallelElements)
  for (int64_t r = 0; r < rows; r++) {
    const float* lr = l + r * D;
    const float* xr = x + (r % xRows) * D;
    float* o = out + r * D;
    const float g = dy[r];
#pragma omp simd
    for (int64_t d = 0; d < D; d++) o[d] = (xr[d] - 1.f / (1.f + std::exp(-lr[d]))) * g;
  }
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
      {"threads", Threads}, {"convImpl", ConvImpl}, {"batchNormGrad", BatchNormGrad}, {"activationGrad", ActivationGrad},
      {"batchNormTraining", BatchNormTraining}, {"batchNormTrainingGrad", BatchNormTrainingGrad},
      {"bernoulliLogLikelihood", BernoulliLogLikelihood}, {"bernoulliLogLikelihoodGrad", BernoulliLogLikelihoodGrad},
      {"klStandardNormal", KlStandardNormal}, {"klStandardNormalGrad", KlStandardNormalGrad},
      {"reparameterize", Reparameterize}, {"reparameterizeGrad", ReparameterizeGrad}};
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
