;; The E-step's log-sum-exp of the Gaussian mixture: turns log densities into responsibilities, with exp computed
;; in the kernel (WebAssembly has no exp instruction; calling out to Math.exp per element would cost more than the
;; rest of the E-step) to within an ulp or two of Math.exp.
;;
;; Memory: the module imports one memory (env.memory) that arena.ts allocates and fills; every pointer parameter is a
;; byte offset into it, of a float64 array. "v [rows, kCount]" means element (i, j) is at v + 8 (i·kCount + j).
;;
;; Assembled by wabt at build time: `node scripts/build-wasm.mjs` writes kernels.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; softmaxRows(v, logW, rows, kCount, maxOut, sumOut)
  ;;
  ;; For each row i of v [rows, kCount] (log densities ln N(xᵢ | μₖ, Σₖ)), with uᵢₖ = vᵢₖ + ln πₖ (logW [kCount]):
  ;;   mᵢ = maxₖ uᵢₖ,   sᵢ = Σₖ exp(uᵢₖ − mᵢ),   vᵢₖ ← exp(uᵢₖ − mᵢ) / sᵢ   (the responsibilities)
  ;; and writes maxOut[i] = mᵢ, sumOut[i] = sᵢ (the caller forms ln p(xᵢ) = mᵢ + ln sᵢ and checks mᵢ is finite).
  ;; exp is computed in the kernel, by the steps below; two components at a time, an odd last one alone.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "softmaxRows")
    (param $v i32) (param $logW i32) (param $rows i32) (param $kCount i32) (param $maxOut i32) (param $sumOut i32)
    (local $i i32)
    (local $pv i32) (local $pw i32)
    (local $rowStart i32) (local $rowEnd i32) (local $pairEnd i32)
    (local $m f64) (local $sum f64) (local $inv f64) (local $u f64)
    (local $x f64) (local $n f64) (local $r f64) (local $p f64) (local $ni i32)  ;; exp of the odd last one
    (local $vm v128)   ;; m in both lanes
    (local $acc v128)  ;; Σ e, per lane
    (local $vx v128) (local $vn v128) (local $vr v128) (local $vp v128)  ;; exp of a pair: x, n, r, result
    (local $keep v128) ;; all-ones lanes where x ≥ −708
    (local.set $rowStart (local.get $v))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $rowEnd (i32.add (local.get $rowStart) (i32.shl (local.get $kCount) (i32.const 3))))
        (local.set $pairEnd (i32.add (local.get $rowStart)
          (i32.shl (i32.and (local.get $kCount) (i32.const -2)) (i32.const 3))))
        ;; u = v + ln π in place, and its maximum m
        (local.set $m (f64.const -inf))
        (local.set $pw (local.get $logW))
        (local.set $pv (local.get $rowStart))
        (block $maxDone
          (loop $max
            (br_if $maxDone (i32.ge_u (local.get $pv) (local.get $rowEnd)))
            (f64.store (local.get $pv) (local.tee $u (f64.add (f64.load (local.get $pv)) (f64.load (local.get $pw)))))
            (local.set $m (f64.max (local.get $u) (local.get $m)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 8)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 8)))
            (br $max)))
        ;; e = exp(u − m) in place, two at a time, and s = Σ e
        (local.set $vm (f64x2.splat (local.get $m)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $pv (local.get $rowStart))
        (block $expDone
          (loop $exps
            (br_if $expDone (i32.ge_u (local.get $pv) (local.get $pairEnd)))
            ;; vp = exp(vx) for vx = u − m ≤ 0 in both lanes, by the steps of the scalar exp below (see there), written
            ;; out here rather than called: V8 as of Node 20 does not inline wasm calls, and a call per pair made this
            ;; kernel 12% slower. Lanes below −708 (where exp < 3.3·10⁻³⁰⁸, subnormal or zero) give 0: they are
            ;; clamped for the arithmetic and masked off at the end, which keeps 2ⁿ a normal number.
            (local.set $vx (f64x2.sub (v128.load (local.get $pv)) (local.get $vm)))
            (local.set $keep (f64x2.ge (local.get $vx) (v128.const f64x2 -708 -708)))
            (local.set $vx (f64x2.max (local.get $vx) (v128.const f64x2 -708 -708)))
            (local.set $vn (f64x2.nearest (f64x2.mul (local.get $vx) (v128.const f64x2 1.4426950408889634 1.4426950408889634))))
            (local.set $vr (f64x2.sub
              (f64x2.sub (local.get $vx) (f64x2.mul (local.get $vn) (v128.const f64x2 0.6931471803691238 0.6931471803691238)))
              (f64x2.mul (local.get $vn) (v128.const f64x2 1.9082149292705877e-10 1.9082149292705877e-10))))
            (local.set $vp (v128.const f64x2 1.6059043836821613e-10 1.6059043836821613e-10))                        ;; 1/13!
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 2.08767569878681e-9 2.08767569878681e-9)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 2.505210838544172e-8 2.505210838544172e-8)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 2.755731922398589e-7 2.755731922398589e-7)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr))
                                      (v128.const f64x2 0.0000027557319223985893 0.0000027557319223985893)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.0000248015873015873 0.0000248015873015873)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.0001984126984126984 0.0001984126984126984)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.001388888888888889 0.001388888888888889)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.008333333333333333 0.008333333333333333)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.041666666666666664 0.041666666666666664)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.16666666666666666 0.16666666666666666)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 0.5 0.5)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 1 1)))
            (local.set $vp (f64x2.add (f64x2.mul (local.get $vp) (local.get $vr)) (v128.const f64x2 1 1)))             ;; 1/0!
            ;; times 2ⁿ, n read back as an integer from the bits of n + 1.5·2⁵² (adding that constant leaves n in the
            ;; low mantissa bits: 0x4338000000000000 + n), so bits(2ⁿ) = (bits(n + 1.5·2⁵²) − (0x4338…0000 − 1023)) << 52
            (local.set $vp (v128.and
              (f64x2.mul (local.get $vp)
                         (i64x2.shl (i64x2.sub (f64x2.add (local.get $vn) (v128.const f64x2 0x1.8p52 0x1.8p52))
                                               (v128.const i64x2 0x4337fffffffffc01 0x4337fffffffffc01))
                                    (i32.const 52)))
              (local.get $keep)))
            (v128.store (local.get $pv) (local.get $vp))
            (local.set $acc (f64x2.add (local.get $acc) (local.get $vp)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 16)))
            (br $exps)))
        (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
        ;; odd kCount: the last component, p = exp(x) for x = u − m ≤ 0 (inline, as the pairs above), within an ulp
        ;; or two of Math.exp:
        ;;   x = n ln 2 + r with |r| ≤ ½ ln 2 (ln 2 split in a high and a low part, as fdlibm: n ln2hi is exact),
        ;;   exp(r) by its Taylor series to r¹³ (truncation below 2⁻⁵⁵ relative), evaluated by Horner,
        ;;   times 2ⁿ built in the exponent bits — in two steps (2ⁿ⁺¹⁰⁰⁰ · 2⁻¹⁰⁰⁰) for subnormal results.
        (if (i32.lt_u (local.get $pv) (local.get $rowEnd))
          (then
            (local.set $x (f64.sub (f64.load (local.get $pv)) (local.get $m)))
            (if (f64.lt (local.get $x) (f64.const -745.2))
              (then (local.set $p (f64.const 0)))  ;; below half the smallest subnormal
              (else
                (local.set $n (f64.nearest (f64.mul (local.get $x) (f64.const 1.4426950408889634))))  ;; x / ln 2, rounded
                (local.set $r (f64.sub (f64.sub (local.get $x) (f64.mul (local.get $n) (f64.const 0.6931471803691238)))  ;; ln2hi
                                       (f64.mul (local.get $n) (f64.const 1.9082149292705877e-10))))                 ;; ln2lo
                ;; p = Σ_{i ≤ 13} rⁱ / i!
                (local.set $p (f64.const 1.6059043836821613e-10))                                                      ;; 1/13!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.08767569878681e-9)))       ;; 1/12!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.505210838544172e-8)))      ;; 1/11!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.755731922398589e-7)))      ;; 1/10!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.0000027557319223985893)))  ;; 1/9!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.0000248015873015873)))     ;; 1/8!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.0001984126984126984)))     ;; 1/7!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.001388888888888889)))      ;; 1/6!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.008333333333333333)))      ;; 1/5!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.041666666666666664)))      ;; 1/4!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.16666666666666666)))       ;; 1/3!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.5)))                       ;; 1/2!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 1)))                         ;; 1/1!
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 1)))                         ;; 1/0!
                ;; times 2ⁿ: the double with exponent field n + 1023 and a zero mantissa
                (local.set $ni (i32.trunc_f64_s (local.get $n)))
                (if (i32.lt_s (local.get $ni) (i32.const -1020))
                  (then
                    (local.set $p (f64.mul
                      (f64.mul (local.get $p)
                               (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (local.get $ni) (i32.const 2023)))
                                                             (i64.const 52))))
                      (f64.const 0x1p-1000))))
                  (else
                    (local.set $p (f64.mul (local.get $p)
                      (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (local.get $ni) (i32.const 1023)))
                                                    (i64.const 52)))))))))
            (f64.store (local.get $pv) (local.get $p))
            (local.set $sum (f64.add (local.get $sum) (local.get $p)))))
        ;; normalise: v = e / s (as e · (1/s))
        (local.set $inv (f64.div (f64.const 1) (local.get $sum)))
        (local.set $pv (local.get $rowStart))
        (block $normDone
          (loop $norm
            (br_if $normDone (i32.ge_u (local.get $pv) (local.get $rowEnd)))
            (f64.store (local.get $pv) (f64.mul (f64.load (local.get $pv)) (local.get $inv)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 8)))
            (br $norm)))
        (f64.store (i32.add (local.get $maxOut) (i32.shl (local.get $i) (i32.const 3))) (local.get $m))
        (f64.store (i32.add (local.get $sumOut) (i32.shl (local.get $i) (i32.const 3))) (local.get $sum))
        (local.set $rowStart (local.get $rowEnd))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)
