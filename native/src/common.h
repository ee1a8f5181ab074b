// What every file of genlab's addon shares: the Node-API and oneDNN headers, glibc's vector maths, the threading
// thresholds, argument reading (Args), the guards every oneDNN call runs under (SignalsHeld, ThreadsScope), sgemm, and
// the N-API functions each file defines (module.cc registers them). See ../README.md for what the addon is.
#pragma once
#define NAPI_VERSION 8
#include <node_api.h>
#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>
#include "pool.h"

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

namespace genlab {

// Thread use: no OpenMP team. Every loop, matrix product and convolution big enough to share is cut into chunks that
// the calling thread and helper threads share (pool.h, pool.cc), and the caller never waits for a helper that has not
// started: on this 2-core VM, shared with other processes, OpenMP's fork/join waited for a descheduled thread (waking
// its sleeping second thread cost ~50–60 µs idle and a time slice when the other core was busy; 2-thread sgemm at load
// 3 ran no faster than 1 thread). Thresholds: kShareElements (pool.h) for element-wise loops, kShareFlops below for
// products and convolutions. oneDNN still runs on OpenMP's runtime, always with one thread (ThreadsScope(1)).

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

inline void check(Args& a, dnnl_status_t s) {
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

// Denormal floats (|x| < 2⁻¹²⁶) read and written as zero while in scope (MXCSR's DAZ and FTZ bits): arithmetic on a
// denormal takes a microcode assist, tens to a hundred times a normal operation. Weights that weight decay shrinks
// with no other gradient (an encoder's rows for MNIST's always-black border pixels, dead ReLU units) pass through the
// denormal range and stay there for thousands of steps: a two-layer IWAE's step went from 19 to 72 ms after 40 epochs
// with 126,000 of its 1.1 million weights denormal. TensorFlow runs its CPU kernels the same way (ScopedFlushDenormal).
// Set around every call from JavaScript (module.cc) and for good on the pool's helpers, and restored on return, so
// JavaScript's own float64 arithmetic keeps IEEE denormals.
#if defined(__SSE__)
constexpr unsigned kDenormalsAsZero = 0x8040;  // FTZ (bit 15) | DAZ (bit 6)
struct DenormalsAsZero {
  unsigned old;
  DenormalsAsZero() : old(_mm_getcsr()) { _mm_setcsr(old | kDenormalsAsZero); }
  ~DenormalsAsZero() { _mm_setcsr(old); }
};
inline void denormalsAsZeroForGood() { _mm_setcsr(_mm_getcsr() | kDenormalsAsZero); }
#else
struct DenormalsAsZero {};
inline void denormalsAsZeroForGood() {}
#endif

// OpenMP's thread count for the calling thread while in scope (oneDNN sizes its work split by it, when a primitive is
// built and when sgemm or a primitive runs).
struct ThreadsScope {
  int old;
  explicit ThreadsScope(int n) : old(omp_get_max_threads()) { if (n != old) omp_set_num_threads(n); }
  ~ThreadsScope() { if (omp_get_max_threads() != old) omp_set_num_threads(old); }
};

// Matrix products and convolutions from this size on are cut into chunks that the workers share (pool.h): 2 per
// worker, so that a helper that starts late still takes a share. Below it one thread does the whole product (about
// 35 µs of work at one core's 110 GFLOP/s: not worth a helper's wake-up).
constexpr double kShareFlops = 4e6;
inline int64_t shareChunks(double flops) {
  const int w = workers();
  if (w <= 1 || flops < kShareFlops) return 1;
  return std::min<int64_t>(2 * w, std::max<int64_t>(w, static_cast<int64_t>(flops / 16e6)));
}

// Activations of the fused epilogues (matrix products, convolutions, dense layers), by the codes the TypeScript side
// passes (src/engine/native/kernels/operands.ts ACTIVATIONS).
enum Act { LINEAR = 0, RELU = 1, SIGMOID = 2, RELU6 = 3, ELU = 4, LEAKY = 5, TANH = 6 };

// C [M, N] = op(A) · B without A's zeros when B is not transposed and A is sparse enough; false (nothing written)
// otherwise (sparse_gemm.cc).
bool sparseLeftGemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C);

// In place C [rows, N] = act(C + bias) (gemm.cc). biasMode: 0 none, 1 one value per column (length N), 2 one value,
// 3 full (rows·N).
void biasAct(float* C, int64_t rows, int64_t N, const float* bias, int64_t biasMode, int64_t act, float alpha);

// dnnl_sgemm (row-major), shared between workers in blocks from kShareFlops on, with asynchronous signals held (gemm.cc).
dnnl_status_t sgemm(char transA, char transB, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha, const float* A, dnnl_dim_t lda,
                    const float* B, dnnl_dim_t ldb, float beta, float* C, dnnl_dim_t ldc);

// The N-API functions, by file; their arguments are documented where they are defined.
// gemm.cc
napi_value Gemm(napi_env env, napi_callback_info info);
napi_value Epilogue(napi_env env, napi_callback_info info);
// dense.cc
napi_value DenseGrad(napi_env env, napi_callback_info info);
// resample.cc
napi_value GatherPixels(napi_env env, napi_callback_info info);
napi_value SumBlocks(napi_env env, napi_callback_info info);
// conv.cc
napi_value Conv2d(napi_env env, napi_callback_info info);
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info);
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info);
napi_value ConvImpl(napi_env env, napi_callback_info info);
// sparse_gemm.cc
napi_value GemmImpl(napi_env env, napi_callback_info info);
// elementwise.cc
napi_value Binary(napi_env env, napi_callback_info info);
napi_value BinaryBroadcast(napi_env env, napi_callback_info info);
napi_value Sum(napi_env env, napi_callback_info info);
napi_value Compare(napi_env env, napi_callback_info info);
napi_value Select(napi_env env, napi_callback_info info);
napi_value Unary(napi_env env, napi_callback_info info);
napi_value ActivationGrad(napi_env env, napi_callback_info info);
// batch_norm.cc
napi_value BatchNorm(napi_env env, napi_callback_info info);
napi_value BatchNormGrad(napi_env env, napi_callback_info info);
napi_value BatchNormTraining(napi_env env, napi_callback_info info);
napi_value BatchNormTrainingGrad(napi_env env, napi_callback_info info);
// adam.cc
napi_value Adam(napi_env env, napi_callback_info info);
// fused_losses.cc
napi_value BernoulliLogLikelihood(napi_env env, napi_callback_info info);
napi_value BernoulliLogLikelihoodGrad(napi_env env, napi_callback_info info);
napi_value KlStandardNormal(napi_env env, napi_callback_info info);
napi_value KlStandardNormalGrad(napi_env env, napi_callback_info info);
napi_value Reparameterize(napi_env env, napi_callback_info info);
napi_value ReparameterizeGrad(napi_env env, napi_callback_info info);
// random.cc
napi_value RandomNormal(napi_env env, napi_callback_info info);
// copies.cc
napi_value CopyBlock(napi_env env, napi_callback_info info);

}  // namespace genlab
