// genlab's native kernels for the TF.js `native` backend (src/engine/native/): matrix products on oneDNN's sgemm,
// convolutions on oneDNN's convolution primitives (im2col + sgemm where those do not fit), the element-wise work
// around them in vectorised C++ with OpenMP. Raw Node-API (no node-addon-api): every function takes Float32Arrays and
// integers, writes into a caller-allocated output, and returns nothing. This file registers them (one file per
// concern defines them: gemm, conv, elementwise, batch_norm, adam, fused_losses, resample, random,
// copies; common.h is what they share).
#include "common.h"
#include <malloc.h>
#include <cstdio>

namespace genlab {
namespace {

// Raised whenever a function's arguments change (src/engine/native/addon.ts NATIVE_INTERFACE_VERSION must match).
// 2: adam takes a weight decay.
constexpr int32_t kInterfaceVersion = 2;

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

// Every function runs with denormal floats as zero (common.h DenormalsAsZero), the flags restored on return: the
// registered callback is this trampoline, the kernel's own function its data.
napi_value WithDenormalsAsZero(napi_env env, napi_callback_info info) {
  void* kernel = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &kernel);
  DenormalsAsZero flushed;
  return reinterpret_cast<napi_callback>(kernel)(env, info);
}

napi_value Init(napi_env env, napi_value exports) {
  // Tensors are fresh ArrayBuffers from malloc/calloc; above glibc's default 128 KiB they are mmap'd and every page is
  // faulted in on first write (≈2 µs a page here: slower than the arithmetic). Served from the heap instead, freed
  // buffers are reused with their pages resident.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  const struct { const char* name; napi_callback fn; } fns[] = {
      {"gemm", Gemm}, {"denseGrad", DenseGrad}, {"conv2d", Conv2d}, {"conv2dBackpropInput", Conv2dBackpropInput},
      {"conv2dBackpropFilter", Conv2dBackpropFilter}, {"binary", Binary}, {"unary", Unary}, {"epilogue", Epilogue},
      {"binaryBroadcast", BinaryBroadcast}, {"sum", Sum},
      {"compare", Compare}, {"select", Select}, {"batchNorm", BatchNorm}, {"adam", Adam},
      {"threads", Threads}, {"convImpl", ConvImpl}, {"gemmImpl", GemmImpl}, {"batchNormGrad", BatchNormGrad}, {"activationGrad", ActivationGrad},
      {"batchNormTraining", BatchNormTraining}, {"batchNormTrainingGrad", BatchNormTrainingGrad},
      {"bernoulliLogLikelihood", BernoulliLogLikelihood}, {"bernoulliLogLikelihoodGrad", BernoulliLogLikelihoodGrad},
      {"klStandardNormal", KlStandardNormal}, {"klStandardNormalGrad", KlStandardNormalGrad},
      {"reparameterize", Reparameterize}, {"reparameterizeGrad", ReparameterizeGrad},
      {"gatherPixels", GatherPixels}, {"sumBlocks", SumBlocks},
      {"randomNormal", RandomNormal}, {"copyBlock", CopyBlock}};
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, WithDenormalsAsZero, reinterpret_cast<void*>(f.fn), &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  const dnnl_version_t* ver = dnnl_version();
  napi_value s;
  char buf[64];
  snprintf(buf, sizeof buf, "oneDNN %d.%d.%d", ver->major, ver->minor, ver->patch);
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, exports, "library", s);
  // What these functions take: src/engine/native/addon.ts refuses an addon built from other sources (a stale build).
  napi_value version;
  napi_create_int32(env, kInterfaceVersion, &version);
  napi_set_named_property(env, exports, "interfaceVersion", version);
  return exports;
}

}  // namespace
}  // namespace genlab

NAPI_MODULE(NODE_GYP_MODULE_NAME, genlab::Init)
