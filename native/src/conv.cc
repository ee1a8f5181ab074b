// 2-D convolutions (NHWC, HWIO filters): the forward pass, the input gradient and the filter gradient, on oneDNN's
// convolution primitives where they have a fast kernel for the shape, else im2col/col2im + sgemm.
#include "common.h"
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

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
  shareRows(rows, kkc, [&](int64_t r0, int64_t r1) { for (int64_t r = r0; r < r1; r++) {
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
  } });
}

// col2im for images [n0, n1): dx (NHWC) from colsT [KH·KW·C][(n1-n0)·OH·OW], the product Wᵀ·dy stored tap-major so that
// each tap's values over an image are contiguous. The pixels of dx fall into sH·sW phases (iy mod sH, ix mod sW); within
// a phase every tap that reaches it reads a contiguous rectangle of its row of colsT, shifted by a constant, and adds it
// into a contiguous buffer: vectorised adds with no bounds checks, where scattering each tap's values to every sW-th
// pixel (the usual col2im) ran at ≈1.6 ns an element for one channel. Each pixel of dx is written once, from its phase.
void col2imPhases(const Conv& c, const float* colsT, float* dx, int64_t n0, int64_t n1) {
  const int64_t ld = (n1 - n0) * c.pix();
  const int64_t maxQ = (c.H + c.sH - 1) / c.sH, maxP = (c.W + c.sW - 1) / c.sW;
  shareRows(n1 - n0, c.pix() * c.kkc(), [&](int64_t i0, int64_t i1) {
    std::vector<float> acc(maxQ * maxP);
    for (int64_t n = n0 + i0; n < n0 + i1; n++) {
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
  });
}

// The forward pass with one output channel (a band generator's or an image generator's last layer on grey images):
// oneDNN's kernel vectorises over output channels, so with one it runs a lane in sixteen. This loop vectorises over
// the input channels instead: LAPGAN's 28×28×32 → 1, 3×3, batch 64, 4.7–4.9 ms → 1.8–2.9 ms; 14×14, 1.0 → 0.5 ms.
// (The same idea for the two gradients measured no faster than oneDNN's — its input gradient 3–5× faster — so they
// stay there.)
enum ConvPass { FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2 };
bool singleOutput(const Conv& c, int pass) { return pass == FWD && c.OC == 1 && c.C >= 8 && c.N * c.OH * c.OW * c.KH * c.KW != 0; }

// Calls f(iy, ix, ky, kx) for each tap of output pixel (oy, ox) that lands inside the image.
template <typename F>
inline void forTaps(const Conv& c, int64_t oy, int64_t ox, const F& f) {
  for (int64_t ky = 0; ky < c.KH; ky++) {
    const int64_t iy = oy * c.sH - c.pT + ky * c.dH;
    if (iy < 0 || iy >= c.H) continue;
    for (int64_t kx = 0; kx < c.KW; kx++) {
      const int64_t ix = ox * c.sW - c.pL + kx * c.dW;
      if (ix >= 0 && ix < c.W) f(iy, ix, ky, kx);
    }
  }
}

// y [N, OH, OW, 1] = x ⊛ w, w [KH, KW, C, 1].
void singleOutputForward(const Conv& c, const float* x, const float* w, float* y) {
  shareRows(c.N * c.OH, c.OW * c.kkc(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t n = r / c.OH, oy = r % c.OH;
      for (int64_t ox = 0; ox < c.OW; ox++) {
        // 16 lanes of partial sums over every tap, one horizontal sum per pixel (not one per tap).
        float lanes[16] = {0.f};
        float tail = 0.f;
        forTaps(c, oy, ox, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
          const float* xp = x + ((n * c.H + iy) * c.W + ix) * c.C;
          const float* wp = w + (ky * c.KW + kx) * c.C;
          int64_t ch = 0;
          for (; ch + 16 <= c.C; ch += 16) {
#pragma omp simd
            for (int l = 0; l < 16; l++) lanes[l] += xp[ch + l] * wp[ch + l];
          }
          for (; ch < c.C; ch++) tail += xp[ch] * wp[ch];
        });
        float acc = tail;
        for (int l = 0; l < 16; l++) acc += lanes[l];
        y[r * c.OW + ox] = acc;
      }
    }
  });
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
// scatter; measured 1.4–6.7× faster than im2col + sgemm at the DCGAN's sizes, one thread). Activations stay in the
// caller's NHWC arrays; filters (HWIO) are reordered into the layout the primitive picked, and back for the filter
// gradient. Primitives are built once per shape (JIT code generation costs milliseconds) and kept. Where oneDNN offers
// only its reference implementation, or none, the im2col + sgemm path below runs instead.
//
// Threads: a pass of `shareChunks(flops)` > 1 is cut into chunks of images that the workers share (pool.h), each chunk
// a one-thread primitive of its own batch size; the filter gradient sums the chunks' partial gradients in chunk order.
// oneDNN's own threading (OpenMP, a static split and spinning barriers) waits for a busy core: measured at 2 threads
// on 2 loaded cores, 28×28×1 → 32, 5×5, batch 64 (20 MFLOP), the filter gradient took 3.6 ms against 0.17 ms on one
// thread, and 14×14×32 → 7×7×64 (321 MFLOP) passes ran no faster on 2 threads than on 1 at load 3. Chunks of 16 images
// cost 0–4% over one 64-image primitive on one thread (chunked the filter gradient was faster). Primitives run
// concurrently on the workers, so each has a scratchpad of its caller's (oneDNN's own is shared per primitive).

dnnl_engine_t cpuEngine() {
  static dnnl_engine_t e = [] { dnnl_engine_t x = nullptr; dnnl_engine_create(&x, dnnl_cpu, 0); return x; }();
  return e;
}
// One stream per thread (a stream is not for concurrent use); kept for the thread's life.
dnnl_stream_t threadStream() {
  thread_local dnnl_stream_t s = [] { dnnl_stream_t x = nullptr; dnnl_stream_create(&x, cpuEngine(), dnnl_stream_default_flags); return x; }();
  return s;
}

// One pass of one convolution shape on one thread. act is the primitive's input side (x, or dx for BWD_DATA), out
// its output side (y or dy), wei the filter in the primitive's layout, userWei the caller's HWIO filter; reorder
// (null when the layouts agree) turns userWei into wei (FWD, BWD_DATA) or wei into userWei (BWD_WEIGHTS).
// `fwd` stays alive as long as the primitive: backward descriptors keep a raw pointer to their forward hint.
struct ConvPrim {
  dnnl_primitive_desc_t fwd = nullptr;
  dnnl_primitive_t prim = nullptr, reorder = nullptr;
  dnnl_memory_desc_t act, out, wei, userWei, scratch;
  size_t scratchBytes = 0;
  std::string impl;
  ~ConvPrim() {
    for (auto p : {prim, reorder}) if (p) dnnl_primitive_destroy(p);
    if (fwd) dnnl_primitive_desc_destroy(fwd);
  }
};

// A primitive descriptor built with `init` (with a scratchpad the caller provides), or null (creation failed, or
// only oneDNN's slow reference kernel fits).
template <typename Init>
dnnl_primitive_desc_t convPd(Init init, const_dnnl_primitive_desc_t hint) {
  dnnl_convolution_desc_t d;
  dnnl_primitive_desc_t pd = nullptr;
  dnnl_primitive_attr_t attr = nullptr;
  dnnl_primitive_attr_create(&attr);
  dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
  const bool made = init(&d) == dnnl_success && dnnl_primitive_desc_create(&pd, &d, attr, cpuEngine(), hint) == dnnl_success;
  dnnl_primitive_attr_destroy(attr);
  if (!made) return nullptr;
  const char* impl = nullptr;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  if (!impl || std::strncmp(impl, "ref", 3) == 0) { dnnl_primitive_desc_destroy(pd); return nullptr; }
  return pd;
}

std::unique_ptr<ConvPrim> makeConvPrim(const Conv& c, int pass) {
  ThreadsScope one(1);  // oneDNN sizes a primitive's work split by the threads it will run on
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
  p->act = x;
  p->out = y;
  p->userWei = wUser;
  p->wei = *dnnl_primitive_desc_query_md(pd, pass == BWD_WEIGHTS ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  p->scratch = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  p->scratchBytes = dnnl_memory_desc_get_size(&p->scratch);
  bool ok = dnnl_primitive_create(&p->prim, pd) == dnnl_success;
  const char* impl = nullptr;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
  p->impl = impl ? impl : "";
  if (ok && !dnnl_memory_desc_equal(&p->wei, &wUser)) {
    dnnl_primitive_desc_t rpd = nullptr;
    const bool toUser = pass == BWD_WEIGHTS;
    ok = dnnl_reorder_primitive_desc_create(&rpd, toUser ? &p->wei : &wUser, cpuEngine(), toUser ? &wUser : &p->wei, cpuEngine(), nullptr) == dnnl_success &&
         dnnl_primitive_create(&p->reorder, rpd) == dnnl_success;
    if (rpd) dnnl_primitive_desc_destroy(rpd);
  }
  dnnl_primitive_desc_destroy(pd);
  return ok ? std::move(p) : nullptr;
}

// The primitive for (pass, shape), built on first use; null when oneDNN has no fast kernel for it.
ConvPrim* convPrim(const Conv& c, int pass) {
  using Key = std::array<int64_t, 16>;
  static std::map<Key, std::unique_ptr<ConvPrim>> cache;
  const Key key = {pass, c.N, c.H, c.W, c.C, c.KH, c.KW, c.OC, c.OH, c.OW, c.sH, c.sW, c.pT, c.pL, c.dH, c.dW};
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

// A bias (one value per channel, or none) and an activation applied to a convolution's result, as FusedConv2D's
// (read from a call's optional arguments `k` on: bias|null, act, alpha).
struct ConvEpilogue {
  const float* bias = nullptr;
  int64_t act = LINEAR;
  float alpha = 0;
  bool any() const { return bias != nullptr || act != LINEAR; }
  void apply(float* out, int64_t rows, int64_t channels) const {
    if (any()) biasAct(out, rows, channels, bias, bias ? 1 : 0, act, alpha);
  }
};

ConvEpilogue readEpilogue(Args& a, size_t k, int64_t channels) {
  ConvEpilogue ep;
  if (a.argc <= k) return ep;
  size_t lb = 0;
  ep.bias = a.f(k, &lb, true);
  ep.act = a.i(k + 1);
  ep.alpha = static_cast<float>(a.d(k + 2));
  if (a.ok && ep.bias && static_cast<int64_t>(lb) != channels) a.fail("convolution: the bias needs one value per output channel");
  return ep;
}

// One convolution at a time: the cache is shared by every Node thread (worker_threads) that loads the addon.
std::mutex convMutex;

// Runs `prim` on the calling thread's stream with memory objects over `ptrs` (described by `mds`) and a scratchpad of
// `scratchBytes` from a per-thread buffer. False when oneDNN fails.
bool execute(dnnl_primitive_t prim, std::initializer_list<std::tuple<int, const dnnl_memory_desc_t*, void*>> args,
             const dnnl_memory_desc_t* scratchMd, size_t scratchBytes) {
  thread_local std::vector<char> scratch;
  if (scratch.size() < scratchBytes) scratch.resize(scratchBytes);
  std::vector<dnnl_exec_arg_t> exec;
  bool ok = true;
  auto add = [&](int arg, const dnnl_memory_desc_t* md, void* ptr) {
    dnnl_memory_t m = nullptr;
    ok = ok && dnnl_memory_create(&m, md, cpuEngine(), ptr) == dnnl_success;
    if (m) exec.push_back({arg, m});
  };
  for (const auto& [arg, md, ptr] : args) add(arg, md, ptr);
  if (scratchBytes > 0) add(DNNL_ARG_SCRATCHPAD, scratchMd, scratch.data());
  ok = ok && dnnl_primitive_execute(prim, threadStream(), static_cast<int>(exec.size()), exec.data()) == dnnl_success &&
       dnnl_stream_wait(threadStream()) == dnnl_success;
  for (auto& e : exec) dnnl_memory_destroy(e.memory);
  return ok;
}

// Runs pass `pass` with oneDNN: act = x (or dx), out = y (or dy), w the HWIO filter (or its gradient), and `ep` on the
// pass's result (y of FWD, dx of BWD_DATA: a transposed convolution's output) chunk by chunk, while it is in cache.
// False when oneDNN cannot (empty shapes, no fast kernel): the caller uses im2col + sgemm.
bool dnnlConv(Args& a, const Conv& c, int pass, float* act, float* w, float* out, const ConvEpilogue& ep = {}) {
  if (!oneDnnConvFits(c, pass)) return false;
  std::lock_guard<std::mutex> lock(convMutex);
  SignalsHeld held;  // JIT code runs (and is generated) here: see SignalsHeld
  int64_t chunks = std::min<int64_t>(c.N, shareChunks(2.0 * c.N * c.OH * c.OW * c.OC * c.KH * c.KW * c.C));
  int64_t per = 0;
  ConvPrim *pw = nullptr, *pl = nullptr;
  for (;; chunks = 1) {
    per = (c.N + chunks - 1) / chunks;
    chunks = (c.N + per - 1) / per;  // e.g. 10 images in 4 chunks: 3 chunks of 4, 4 and 2
    Conv whole = c, last = c;
    whole.N = per;
    last.N = c.N - (chunks - 1) * per;
    pw = convPrim(whole, pass);
    pl = last.N == per ? pw : convPrim(last, pass);
    if (!pw || !pl) return false;
    // The chunks share one filter layout (reordered once, or summed); should oneDNN pick another for the last
    // chunk's batch size, the pass runs in one piece.
    if (chunks == 1 || dnnl_memory_desc_equal(&pw->wei, &pl->wei)) break;
  }
  const int64_t xImage = c.H * c.W * c.C, yImage = c.OH * c.OW * c.OC;
  const size_t weiFloats = dnnl_memory_desc_get_size(&pw->wei) / sizeof(float);
  // The filter in the primitive's layout: reordered once for every chunk (FWD, BWD_DATA); per chunk partial
  // gradients, summed into the first (BWD_WEIGHTS). The caller's array when the layouts agree and nothing is summed.
  const bool direct = !pw->reorder && (pass != BWD_WEIGHTS || chunks == 1);
  std::vector<float> wei(direct ? 0 : (pass == BWD_WEIGHTS ? chunks : 1) * weiFloats);
  float* w0 = direct ? w : wei.data();
  bool ok = true;
  if (pw->reorder && pass != BWD_WEIGHTS) ok = execute(pw->reorder, {{DNNL_ARG_FROM, &pw->userWei, w}, {DNNL_ARG_TO, &pw->wei, w0}}, nullptr, 0);
  std::atomic<bool> failed{false};
  if (ok) shareWork(chunks, [&](int64_t i) {
    ConvPrim* p = i == chunks - 1 ? pl : pw;
    float* ai = act + i * per * xImage;
    float* oi = out + i * per * yImage;
    bool done = false;
    if (pass == FWD) done = execute(p->prim, {{DNNL_ARG_SRC, &p->act, ai}, {DNNL_ARG_WEIGHTS, &p->wei, w0}, {DNNL_ARG_DST, &p->out, oi}}, &p->scratch, p->scratchBytes);
    if (pass == BWD_DATA) done = execute(p->prim, {{DNNL_ARG_DIFF_DST, &p->out, oi}, {DNNL_ARG_WEIGHTS, &p->wei, w0}, {DNNL_ARG_DIFF_SRC, &p->act, ai}}, &p->scratch, p->scratchBytes);
    if (pass == BWD_WEIGHTS) done = execute(p->prim, {{DNNL_ARG_SRC, &p->act, ai}, {DNNL_ARG_DIFF_DST, &p->out, oi}, {DNNL_ARG_DIFF_WEIGHTS, &p->wei, w0 + i * weiFloats}}, &p->scratch, p->scratchBytes);
    if (!done) failed.store(true);
    const int64_t images = i == chunks - 1 ? c.N - i * per : per;
    if (done && pass == FWD) ep.apply(oi, images * c.OH * c.OW, c.OC);
    if (done && pass == BWD_DATA) ep.apply(ai, images * c.H * c.W, c.C);
  });
  ok = ok && !failed.load();
  if (ok && pass == BWD_WEIGHTS && !direct) {
    for (int64_t i = 1; i < chunks; i++) {
      const float* part = w0 + i * weiFloats;
#pragma omp simd
      for (size_t k = 0; k < weiFloats; k++) w0[k] += part[k];
    }
    if (pw->reorder) ok = execute(pw->reorder, {{DNNL_ARG_FROM, &pw->wei, w0}, {DNNL_ARG_TO, &pw->userWei, w}}, nullptr, 0);
    else std::copy(w0, w0 + weiFloats, w);
  }
  if (!ok) a.fail("oneDNN convolution failed");
  return true;
}

}  // namespace

// convImpl(pass, ...conv): the implementation a convolution pass runs on — oneDNN's, "genlab:single-output" for the
// forward pass with one output channel, or null for im2col + sgemm (tests, profiling).
napi_value ConvImpl(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t pass = a.i(0);
  Conv c = readConv(a, 1);
  if (!a.ok) return nullptr;
  napi_value r;
  std::lock_guard<std::mutex> lock(convMutex);
  SignalsHeld held;
  const bool own = singleOutput(c, static_cast<int>(pass));
  ConvPrim* p = !own && oneDnnConvFits(c, static_cast<int>(pass)) ? convPrim(c, static_cast<int>(pass)) : nullptr;
  if (own) napi_create_string_utf8(env, "genlab:single-output", NAPI_AUTO_LENGTH, &r);
  else if (p) napi_create_string_utf8(env, p->impl.c_str(), NAPI_AUTO_LENGTH, &r);
  else napi_get_null(env, &r);
  return r;
}

// conv2d(x, w, y, ...conv[, bias|null, act, alpha]): y [N,OH,OW,OC] = act(x ⊛ w + bias), w [KH,KW,C,OC].
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a(env, info);
  Conv c;
  ConvArrays arr;
  if (!readConvCall(a, "xwy", c, arr)) return nullptr;
  const ConvEpilogue ep = readEpilogue(a, 18, c.OC);
  if (a.ok && singleOutput(c, FWD)) {
    singleOutputForward(c, arr.x, arr.w, arr.y);
    ep.apply(arr.y, c.N * c.pix(), 1);
    return nullptr;
  }
  if (!a.ok || dnnlConv(a, c, FWD, arr.x, arr.w, arr.y, ep)) return nullptr;
  const float *x = arr.x, *w = arr.w;
  float* y = arr.y;
  const int64_t kkc = c.kkc(), rowsPer = c.pix();
  if (c.N * rowsPer * c.OC == 0) return nullptr;
  if (kkc == 0) std::fill(y, y + c.N * rowsPer * c.OC, 0.f);
  else if (direct(c)) check(a, sgemm('N', 'N', c.N * rowsPer, c.OC, kkc, 1.f, x, kkc, w, c.OC, 0.f, y, c.OC));
  else {
    const int64_t chunk = chunkImages(c);
    std::vector<float> cols(chunk * rowsPer * kkc);
    for (int64_t n0 = 0; n0 < c.N && a.ok; n0 += chunk) {
      const int64_t n1 = std::min(c.N, n0 + chunk), rows = (n1 - n0) * rowsPer;
      im2col(c, x, cols.data(), n0, n1);
      check(a, sgemm('N', 'N', rows, c.OC, kkc, 1.f, cols.data(), kkc, w, c.OC, 0.f, y + n0 * rowsPer * c.OC, c.OC));
    }
  }
  if (a.ok) ep.apply(y, c.N * rowsPer, c.OC);
  return nullptr;
}

// conv2dBackpropInput(dy, w, dx, ...conv[, bias|null, act, alpha]): dx [N,H,W,C] from dy [N,OH,OW,OC], then
// act(dx + bias) (a transposed convolution's bias and activation; bias [C]).
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Args a(env, info);
  Conv c;
  ConvArrays arr;
  if (!readConvCall(a, "ywx", c, arr)) return nullptr;
  const ConvEpilogue ep = readEpilogue(a, 18, c.C);
  if (!a.ok || dnnlConv(a, c, BWD_DATA, arr.x, arr.w, arr.y, ep)) return nullptr;
  const float *dy = arr.y, *w = arr.w;
  float* dx = arr.x;
  const int64_t kkc = c.kkc(), rowsPer = c.pix();
  if (c.N * rowsPer * kkc == 0 || c.OC == 0) std::fill(dx, dx + c.N * c.H * c.W * c.C, 0.f);
  else if (direct(c)) check(a, sgemm('N', 'T', c.N * rowsPer, kkc, c.OC, 1.f, dy, c.OC, w, c.OC, 0.f, dx, kkc));
  else {
    const int64_t chunk = chunkImages(c);
    std::unique_ptr<float[]> colsT(new float[chunk * rowsPer * kkc]);  // every element written by the product
    for (int64_t n0 = 0; n0 < c.N && a.ok; n0 += chunk) {
      const int64_t n1 = std::min(c.N, n0 + chunk), rows = (n1 - n0) * rowsPer;
      check(a, sgemm('N', 'T', kkc, rows, c.OC, 1.f, w, c.OC, dy + n0 * rowsPer * c.OC, c.OC, 0.f, colsT.get(), rows));
      col2imPhases(c, colsT.get(), dx, n0, n1);
    }
  }
  if (a.ok) ep.apply(dx, c.N * c.H * c.W, c.C);
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
