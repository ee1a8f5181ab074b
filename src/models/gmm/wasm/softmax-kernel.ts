/**
 * The E-step's log-sum-exp as a WebAssembly kernel (generated with assembler.ts), with exp computed in-kernel to
 * within an ulp or two of Math.exp. Pointers are byte offsets into the imported memory.
 */
import { FunctionBuilder, type Local } from './assembler.js';

/** 1/i! for i = 0 … 13: the Taylor coefficients of exp. */
const EXP_COEFFICIENTS = Array.from({ length: 14 }, (_, i) => 1 / Array.from({ length: i }, (_, j) => j + 1).reduce((a, b) => a * b, 1));
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;

/**
 * exp(x) for x ≤ 0 (the argument sits on the stack; the result replaces it), within an ulp or two of Math.exp:
 * x = n ln 2 + r with |r| ≤ ½ ln 2 (Cody–Waite split of ln 2, as fdlibm), exp(r) by its Taylor series to r¹³
 * (truncation below 2⁻⁵⁵ relative), times 2ⁿ built in the exponent bits (in two steps for subnormal results).
 */
function emitExp(f: FunctionBuilder, x: Local, n: Local, r: Local, p: Local, ni: Local): void {
  f.set(x);
  f.get(x).f64(-745.2).flt().if();
  f.f64(0).set(p);
  f.else();
  {
    f.get(x).f64(1 / Math.LN2).fmul().fnearest().set(n);
    f.get(x).get(n).f64(LN2_HI).fmul().fsub().get(n).f64(LN2_LO).fmul().fsub().set(r);
    f.f64(EXP_COEFFICIENTS[13]!).set(p);
    for (let i = 12; i >= 0; i--) f.get(p).get(r).fmul().f64(EXP_COEFFICIENTS[i]!).fadd().set(p);
    f.get(n).truncToI32().set(ni);
    f.get(ni).i32(-1020).ltS().if();
    {
      // 2ⁿ = 2ⁿ⁺¹⁰⁰⁰ · 2⁻¹⁰⁰⁰
      f.get(p).get(ni).i32(1000 + 1023).add().extendToI64().i64(52).i64Shl().reinterpretF64().fmul().f64(2 ** -1000).fmul().set(p);
    }
    f.else();
    f.get(p).get(ni).i32(1023).add().extendToI64().i64(52).i64Shl().reinterpretF64().fmul().set(p);
    f.end();
  }
  f.end();
  f.get(p);
}

/**
 * exp of both lanes of an f64x2 of values ≤ 0 (on the stack; replaced by the result): the same reduction and series
 * as emitExp, 2ⁿ from the bits of n + 1.5·2⁵², and 0 for lanes below −708 (where exp < 3.3·10⁻³⁰⁸).
 */
function emitExp2(f: FunctionBuilder, x: Local, n: Local, r: Local, p: Local, keep: Local): void {
  const MAGIC = 6755399441055744; // 1.5 · 2⁵²: adding it leaves an integer-valued n in the low mantissa bits
  f.set(x);
  f.get(x).v128F64(-708).vge().set(keep);
  f.get(x).v128F64(-708).vmax().set(x);
  f.get(x).v128F64(1 / Math.LN2).vmul().vnearest().set(n);
  f.get(x).get(n).v128F64(LN2_HI).vmul().vsub().get(n).v128F64(LN2_LO).vmul().vsub().set(r);
  f.v128F64(EXP_COEFFICIENTS[13]!).set(p);
  for (let i = 12; i >= 0; i--) f.get(p).get(r).vmul().v128F64(EXP_COEFFICIENTS[i]!).vadd().set(p);
  // bits of 2ⁿ = (n + 1023) << 52, n read from the bits of n + MAGIC
  f.get(p);
  f.get(n).v128F64(MAGIC).vadd().v128I64(0x4338000000000000n - 1023n).i64x2Sub().i32(52).i64x2Shl();
  f.vmul().get(keep).vand();
}

/**
 * softmaxRows(v, logW, rows, kCount, maxOut, sumOut): for each row of v [rows, kCount] (log densities), with
 * uᵢₖ = vᵢₖ + ln πₖ: mᵢ = maxₖ uᵢₖ, sᵢ = Σₖ exp(uᵢₖ − mᵢ), and v becomes the responsibilities exp(uᵢₖ − mᵢ)/sᵢ.
 * Writes mᵢ and sᵢ (the caller forms ln p(xᵢ) = mᵢ + ln sᵢ and checks mᵢ is finite). Two components at a time.
 */
export function softmaxRows(): FunctionBuilder {
  const f = new FunctionBuilder('softmaxRows', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [V, LOGW, ROWS, KCOUNT, MAXOUT, SUMOUT] = f.params(6);
  const [i, pv, pw, rowStart, rowEnd, pairEnd, ni] = f.locals('i32', 7);
  const [m, sum, inv, x, n, r, p] = f.locals('f64', 7);
  const [vx, vn, vr, vp, keep, acc, vm] = f.locals('v128', 7);
  f.i32(0).set(i).get(V).set(rowStart);
  f.while(
    (g) => g.get(i).get(ROWS).ltS(),
    (g) => {
      g.get(rowStart).get(KCOUNT).i32(3).shl().add().set(rowEnd);
      g.get(rowStart).get(KCOUNT).i32(-2).and().i32(3).shl().add().set(pairEnd);
      // u = v + ln π, and its maximum
      g.f64(-Infinity).set(m).get(LOGW).set(pw).get(rowStart).set(pv);
      g.while(
        (h) => h.get(pv).get(rowEnd).ltU(),
        (h) => {
          h.get(pv).get(pv).f64Load().get(pw).f64Load().fadd().tee(x).f64Store();
          h.get(x).get(m).fmax().set(m);
          h.inc(pv, 8).inc(pw, 8);
        },
      );
      // e = exp(u − m) two at a time, s = Σ e
      g.get(m).splat().set(vm).v128Zero().set(acc).get(rowStart).set(pv);
      g.while(
        (h) => h.get(pv).get(pairEnd).ltU(),
        (h) => {
          h.get(pv);
          h.get(pv).v128Load().get(vm).vsub();
          emitExp2(h, vx, vn, vr, vp, keep);
          h.tee(vp).v128Store();
          h.get(acc).get(vp).vadd().set(acc);
          h.inc(pv, 16);
        },
      );
      g.get(acc).lane(0).get(acc).lane(1).fadd().set(sum);
      g.get(pv).get(rowEnd).ltU().if();
      {
        g.get(pv);
        g.get(pv).f64Load().get(m).fsub();
        emitExp(g, x, n, r, p, ni);
        g.f64Store();
        g.get(sum).get(p).fadd().set(sum);
      }
      g.end();
      g.f64(1).get(sum).fdiv().set(inv);
      g.get(rowStart).set(pv);
      g.while(
        (h) => h.get(pv).get(rowEnd).ltU(),
        (h) => {
          h.get(pv).get(pv).f64Load().get(inv).fmul().f64Store();
          h.inc(pv, 8);
        },
      );
      g.get(MAXOUT).get(i).i32(3).shl().add().get(m).f64Store();
      g.get(SUMOUT).get(i).i32(3).shl().add().get(sum).f64Store();
      g.get(rowEnd).set(rowStart);
      g.inc(i, 1);
    },
  );
  return f;
}
