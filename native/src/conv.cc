// 2-D convolutions (NHWC, HWIO filters): the forward pass, the input gradient and the filter gradient, on oneDNN's
// convolution primitives where they have a fast kernel for the shape, else im2col/col2im + sgemm.
#include "common.h"
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace genlab {
namespace {

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

}  // namespace

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

}  // namespace genlab
