// Random normals drawn as TF.js's randomNormal draws them, bit for bit, ≈ 3× faster than its JavaScript loop (in the
// two-layer IWAE's step the 75,000 draws took 11% of the time): seedrandom's Alea generator (Baagøe 2010), whose state
// src/engine/kernels/random.ts seeds in JavaScript from the same seed string, and Marsaglia's polar method, both in
// doubles, each value rounded to float32. The logarithm is fdlibm's, which V8's Math.log is a port of, so every double
// is the one the JavaScript computes (-ffp-contract=off keeps the products and sums unfused).
#include "common.h"
#include <cstring>

namespace genlab {

namespace {

// fdlibm's __ieee754_log (e_log.c, Sun Microsystems 1993: "Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice is preserved."), as V8's base::ieee754::log.
double fdlibmLog(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10, two54 = 1.80143985094819840000e+16;
  constexpr double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                   Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                   Lg7 = 1.479819860511658591e-01;
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  int32_t hx = static_cast<int32_t>(bits >> 32);
  const uint32_t lx = static_cast<uint32_t>(bits);
  int32_t k = 0;
  if (hx < 0x00100000) {  // x < 2^-1022
    if (((hx & 0x7fffffff) | lx) == 0) return -two54 / 0.0;  // log(±0) = −∞
    if (hx < 0) return (x - x) / 0.0;                        // log(−x) = NaN
    k -= 54;
    x *= two54;  // subnormal: scale up
    std::memcpy(&bits, &x, 8);
    hx = static_cast<int32_t>(bits >> 32);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;
  std::memcpy(&bits, &x, 8);
  bits = (static_cast<uint64_t>(static_cast<uint32_t>(hx | (i ^ 0x3ff00000))) << 32) | (bits & 0xffffffffu);  // x or x/2 in [√2/2, √2)
  std::memcpy(&x, &bits, 8);
  k += (i >> 20);
  const double f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {  // |f| < 2^-20
    if (f == 0.0) {
      if (k == 0) return 0.0;
      const double dk = k;
      return dk * ln2_hi + dk * ln2_lo;
    }
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    const double dk = k;
    return dk * ln2_hi - ((R - dk * ln2_lo) - f);
  }
  const double s = f / (2.0 + f);
  const double dk = k;
  const double z = s * s;
  i = hx - 0x6147a;
  const double w = z * z;
  const int32_t j = 0x6b851 - hx;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i |= j;
  const double R = t2 + t1;
  if (i > 0) {
    const double hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

// seedrandom's Alea: next() of lib/alea.js.
struct Alea {
  double s0, s1, s2, c;
  double next() {
    const double t = 2091639 * s0 + c * 2.3283064365386963e-10;  // 2^-32
    s0 = s1;
    s1 = s2;
    c = std::trunc(t);  // t | 0 (0 ≤ t < 2^31); one rounding instruction instead of a round trip through an integer
    return s2 = t - c;
  }
};

}  // namespace

// randomNormal(out, s0, s1, s2, c, mean, stdDev): fills `out` as tfjs-core's randomNormal_ fills its buffer, with
// MPRandGauss (not truncated) over an Alea generator in the given state: values in pairs (x, y) from one accepted
// point of the polar method, the last y dropped when the length is odd.
napi_value RandomNormal(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* out = a.f(0, &n);
  Alea g{a.d(1), a.d(2), a.d(3), a.d(4)};
  const double mean = a.d(5), stdDev = a.d(6);
  if (!a.ok) return nullptr;
  // Two passes: the generator's draws and the polar method's rejections, serial (each draw depends on the last); then
  // the accepted points' transform (a log, a division and a square root each), independent, shared between workers.
  const int64_t pairs = static_cast<int64_t>((n + 1) / 2);
  thread_local std::vector<double> points;
  points.resize(3 * pairs);
  double* pt = points.data();
  // The draws come in blocks from a loop of the generator alone: its chain of dependent operations (≈ 16 cycles a draw)
  // then runs without the rejections' mispredicted branches flushing it; the points are read from the block in order.
  constexpr int kBlock = 512;
  double draws[kBlock];
  int at = kBlock;
  const auto draw = [&]() {
    if (at == kBlock) {
      for (int k = 0; k < kBlock; k++) draws[k] = g.next();
      at = 0;
    }
    return draws[at++];
  };
  for (int64_t p = 0; p < pairs; p++) {
    double v1, v2, s;
    do {
      v1 = 2 * draw() - 1;
      v2 = 2 * draw() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s == 0);
    pt[3 * p] = v1;
    pt[3 * p + 1] = v2;
    pt[3 * p + 2] = s;
  }
  const int64_t len = static_cast<int64_t>(n);
  shareRange(pairs, kShareElements / 16, 1, [=](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      const double v1 = pt[3 * p], v2 = pt[3 * p + 1], s = pt[3 * p + 2];
      const double mul = std::sqrt(-2.0 * fdlibmLog(s) / s);
      out[2 * p] = static_cast<float>(mean + stdDev * v1 * mul);
      if (2 * p + 1 < len) out[2 * p + 1] = static_cast<float>(mean + stdDev * v2 * mul);
    }
  });
  return nullptr;
}

}  // namespace genlab
