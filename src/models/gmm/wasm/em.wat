;; EM kernels of the Gaussian mixture: the E-step's Mahalanobis terms and the M-step's sums for matrix (full, tied)
;; covariances, and both steps for diagonal (diag, spherical) ones.
;;
;; Each function computes what its TypeScript twin computes (../kernels.ts, ../cov-diag.ts), equal to rounding, but
;; without bounds checks and two doubles per instruction (f64x2 SIMD). EM runs in float64, and f64x2 is the widest
;; float64 vector WebAssembly has: every inner loop below works on pairs of doubles, with a scalar step for an odd
;; tail. Summation order is fixed by the code (no reassociation), so a fit is reproducible bit for bit.
;;
;; Memory: the module imports one memory (env.memory) that arena.ts allocates and fills; every pointer parameter is a
;; byte offset into it, of a float64 array (8 bytes per element), 16-byte aligned unless said otherwise. Arrays are
;; row-major: "x [rows, d]" means element (i, a) is at x + 8 (i·d + a). Sizes (d, rows, k…) are element counts.
;;
;; Assembled by wabt at build time: `node scripts/build-wasm.mjs` writes kernels.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; mahalanobis4(x, d, rows, means, w, base, out, outStride, diff4)
  ;;
  ;; For rows [0, rows) of x [rows, d] (rows a multiple of 4):
  ;;   out[i · outStride] = base − ½ |W (xᵢ − μ)|²
  ;; with μ = means [d] and W the lower-triangular precision factor, packed by rows at w (row j holds its j + 1
  ;; entries W[j][0 … j]). diff4 [d, 4] is scratch: the differences of four rows side by side.
  ;;
  ;; Why SIMD this way: lanes hold data rows (0, 1) and (2, 3), and two rows j, j + 1 of W are walked together, so
  ;; each pair of W entries loaded (splat to both lanes) feeds eight multiply-adds over four data rows.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "mahalanobis4")
    (param $x i32) (param $d i32) (param $rows i32) (param $means i32) (param $w i32)
    (param $base f64) (param $out i32) (param $outStride i32) (param $diff4 i32)
    (local $row i32)   ;; first of the four rows
    (local $xp i32)    ;; x pointer of that row
    (local $pa i32)    ;; x pointer inside the row
    (local $pm i32)    ;; means pointer
    (local $t i32)     ;; diff4 pointer
    (local $tEnd i32)  ;; end of diff4
    (local $d1 i32) (local $d2 i32) (local $d3 i32)  ;; 1, 2, 3 rows of x in bytes
    (local $osb i32)   ;; outStride in bytes
    (local $op i32)    ;; out pointer
    (local $j i32)     ;; row of W
    (local $r i32)     ;; start of W row j
    (local $r1 i32)    ;; start of W row j + 1 (= end of row j)
    (local $pr i32) (local $pr1 i32)  ;; pointers in W rows j and j + 1
    (local $mu f64)
    (local $s01 v128) (local $s23 v128)  ;; (W diff)_j for data rows 0,1 and 2,3
    (local $u01 v128) (local $u23 v128)  ;; (W diff)_{j+1}
    (local $q01 v128) (local $q23 v128)  ;; running |W diff|²
    (local $wj v128) (local $wj1 v128)   ;; W[j][i], W[j+1][i] in both lanes
    (local $e01 v128) (local $e23 v128)  ;; diff4 entry i: rows 0,1 and 2,3
    (local.set $d1 (i32.shl (local.get $d) (i32.const 3)))
    (local.set $d2 (i32.add (local.get $d1) (local.get $d1)))
    (local.set $d3 (i32.add (local.get $d2) (local.get $d1)))
    (local.set $osb (i32.shl (local.get $outStride) (i32.const 3)))
    (local.set $tEnd (i32.add (local.get $diff4) (i32.shl (local.get $d) (i32.const 5))))  ;; diff4 + 32 d
    (local.set $xp (local.get $x))
    (local.set $op (local.get $out))
    (block $done
      (loop $fourRows
        (br_if $done (i32.gt_s (i32.add (local.get $row) (i32.const 4)) (local.get $rows)))
        ;; diff4[a] = (x0[a] − μa, x1[a] − μa, x2[a] − μa, x3[a] − μa)
        (local.set $pa (local.get $xp))
        (local.set $pm (local.get $means))
        (local.set $t (local.get $diff4))
        (block $diffDone
          (loop $diff
            (br_if $diffDone (i32.ge_u (local.get $t) (local.get $tEnd)))
            (local.set $mu (f64.load (local.get $pm)))
            (f64.store offset=0 (local.get $t) (f64.sub (f64.load (local.get $pa)) (local.get $mu)))
            (f64.store offset=8 (local.get $t) (f64.sub (f64.load (i32.add (local.get $pa) (local.get $d1))) (local.get $mu)))
            (f64.store offset=16 (local.get $t) (f64.sub (f64.load (i32.add (local.get $pa) (local.get $d2))) (local.get $mu)))
            (f64.store offset=24 (local.get $t) (f64.sub (f64.load (i32.add (local.get $pa) (local.get $d3))) (local.get $mu)))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
            (local.set $pm (i32.add (local.get $pm) (i32.const 8)))
            (br $diff)))
        (local.set $q01 (v128.const i64x2 0 0))
        (local.set $q23 (v128.const i64x2 0 0))
        (local.set $r (local.get $w))
        (local.set $j (i32.const 0))
        ;; two rows of W at a time: s = (W diff)_j, u = (W diff)_{j+1}
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $d)))
            (local.set $r1 (i32.add (local.get $r) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 3))))
            (local.set $s01 (v128.const i64x2 0 0))
            (local.set $s23 (v128.const i64x2 0 0))
            (local.set $u01 (v128.const i64x2 0 0))
            (local.set $u23 (v128.const i64x2 0 0))
            (local.set $pr (local.get $r))
            (local.set $pr1 (local.get $r1))
            (local.set $t (local.get $diff4))
            ;; columns 0 … j, shared by both rows
            (block $dotDone
              (loop $dot
                (br_if $dotDone (i32.ge_u (local.get $pr) (local.get $r1)))
                (local.set $wj (v128.load64_splat (local.get $pr)))
                (local.set $wj1 (v128.load64_splat (local.get $pr1)))
                (local.set $e01 (v128.load (local.get $t)))
                (local.set $e23 (v128.load offset=16 (local.get $t)))
                (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $wj) (local.get $e01))))
                (local.set $s23 (f64x2.add (local.get $s23) (f64x2.mul (local.get $wj) (local.get $e23))))
                (local.set $u01 (f64x2.add (local.get $u01) (f64x2.mul (local.get $wj1) (local.get $e01))))
                (local.set $u23 (f64x2.add (local.get $u23) (f64x2.mul (local.get $wj1) (local.get $e23))))
                (local.set $pr (i32.add (local.get $pr) (i32.const 8)))
                (local.set $pr1 (i32.add (local.get $pr1) (i32.const 8)))
                (local.set $t (i32.add (local.get $t) (i32.const 32)))
                (br $dot)))
            ;; column j + 1: the diagonal of row j + 1
            (local.set $wj1 (v128.load64_splat (local.get $pr1)))
            (local.set $u01 (f64x2.add (local.get $u01) (f64x2.mul (local.get $wj1) (v128.load (local.get $t)))))
            (local.set $u23 (f64x2.add (local.get $u23) (f64x2.mul (local.get $wj1) (v128.load offset=16 (local.get $t)))))
            (local.set $r (i32.add (local.get $pr1) (i32.const 8)))  ;; start of W row j + 2
            (local.set $q01 (f64x2.add (local.get $q01)
              (f64x2.add (f64x2.mul (local.get $s01) (local.get $s01)) (f64x2.mul (local.get $u01) (local.get $u01)))))
            (local.set $q23 (f64x2.add (local.get $q23)
              (f64x2.add (f64x2.mul (local.get $s23) (local.get $s23)) (f64x2.mul (local.get $u23) (local.get $u23)))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pairs)))
        ;; odd d: the last row of W alone
        (if (i32.lt_s (local.get $j) (local.get $d))
          (then
            (local.set $s01 (v128.const i64x2 0 0))
            (local.set $s23 (v128.const i64x2 0 0))
            (local.set $pr (local.get $r))
            (local.set $t (local.get $diff4))
            (local.set $r1 (i32.add (local.get $r) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 3))))
            (block $lastDone
              (loop $last
                (br_if $lastDone (i32.ge_u (local.get $pr) (local.get $r1)))
                (local.set $wj (v128.load64_splat (local.get $pr)))
                (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $wj) (v128.load (local.get $t)))))
                (local.set $s23 (f64x2.add (local.get $s23) (f64x2.mul (local.get $wj) (v128.load offset=16 (local.get $t)))))
                (local.set $pr (i32.add (local.get $pr) (i32.const 8)))
                (local.set $t (i32.add (local.get $t) (i32.const 32)))
                (br $last)))
            (local.set $q01 (f64x2.add (local.get $q01) (f64x2.mul (local.get $s01) (local.get $s01))))
            (local.set $q23 (f64x2.add (local.get $q23) (f64x2.mul (local.get $s23) (local.get $s23))))))
        ;; out = base − ½ q for the four rows
        (f64.store (local.get $op)
          (f64.sub (local.get $base) (f64.mul (f64.const 0.5) (f64x2.extract_lane 0 (local.get $q01)))))
        (f64.store (i32.add (local.get $op) (local.get $osb))
          (f64.sub (local.get $base) (f64.mul (f64.const 0.5) (f64x2.extract_lane 1 (local.get $q01)))))
        (f64.store (i32.add (local.get $op) (i32.shl (local.get $osb) (i32.const 1)))
          (f64.sub (local.get $base) (f64.mul (f64.const 0.5) (f64x2.extract_lane 0 (local.get $q23)))))
        (f64.store (i32.add (i32.add (local.get $op) (i32.shl (local.get $osb) (i32.const 1))) (local.get $osb))
          (f64.sub (local.get $base) (f64.mul (f64.const 0.5) (f64x2.extract_lane 1 (local.get $q23)))))
        (local.set $op (i32.add (local.get $op) (i32.shl (local.get $osb) (i32.const 2))))
        (local.set $xp (i32.add (local.get $xp) (i32.shl (local.get $d1) (i32.const 2))))
        (local.set $row (i32.add (local.get $row) (i32.const 4)))
        (br $fourRows))))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; addLowerProduct(a, b, stride, n, d, out)
  ;;
  ;; The lower triangle of A Bᵀ added into out [d, d], for A and B [d, stride] (only the first n columns used, n even:
  ;; the caller pads with a zero column):
  ;;   out[i · d + j] += Σ_{c<n} a[i · stride + c] · b[j · stride + c]   for j ≤ i
  ;;
  ;; Why SIMD this way: 2 × 2 tiles (rows i, i + 1 × columns j, j + 1), four f64x2 accumulators over pairs of c, so
  ;; each four loads feed four multiply-adds in independent chains. This is the M-step's Σ r (x − μ)(x − μ)ᵀ.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "addLowerProduct")
    (param $a i32) (param $b i32) (param $stride i32) (param $n i32) (param $d i32) (param $out i32)
    (local $sb i32)  ;; stride in bytes
    (local $nb i32)  ;; n in bytes
    (local $db i32)  ;; d in bytes (a row of out)
    (local $i i32) (local $j i32)
    (local $ai i32) (local $bj i32)  ;; rows i of A, j of B
    (local $pa i32) (local $pb i32) (local $paEnd i32)
    (local $o i32)   ;; &out[i, j]
    (local $o1 i32)  ;; &out[i + 1, j]
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local.set $sb (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $ai (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sb))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.gt_s (local.get $j) (local.get $i)))
            (local.set $bj (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $sb))))
            (local.set $o (i32.add (local.get $out)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $d)) (local.get $j)) (i32.const 3))))
            (local.set $pa (local.get $ai))
            (local.set $pb (local.get $bj))
            (local.set $paEnd (i32.add (local.get $ai) (local.get $nb)))
            (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $d))
              (then
                ;; two rows (i, i + 1) × two columns (j, j + 1)
                (local.set $s00 (v128.const i64x2 0 0))
                (local.set $s01 (v128.const i64x2 0 0))
                (local.set $s10 (v128.const i64x2 0 0))
                (local.set $s11 (v128.const i64x2 0 0))
                (block $tileDone
                  (loop $tile
                    (br_if $tileDone (i32.ge_u (local.get $pa) (local.get $paEnd)))
                    (local.set $a0 (v128.load (local.get $pa)))
                    (local.set $a1 (v128.load (i32.add (local.get $pa) (local.get $sb))))
                    (local.set $b0 (v128.load (local.get $pb)))
                    (local.set $b1 (v128.load (i32.add (local.get $pb) (local.get $sb))))
                    (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $a0) (local.get $b0))))
                    (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $a0) (local.get $b1))))
                    (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $a1) (local.get $b0))))
                    (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $a1) (local.get $b1))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                    (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
                    (br $tile)))
                ;; fold each accumulator's two lanes into its entry of out: out[i, j] += s00[0] + s00[1], …
                (local.set $o1 (i32.add (local.get $o) (local.get $db)))
                (f64.store (local.get $o)
                  (f64.add (f64.load (local.get $o))
                           (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00)))))
                ;; (i, j + 1) is in the lower triangle unless j = i
                (if (i32.lt_s (local.get $j) (local.get $i))
                  (then
                    (f64.store offset=8 (local.get $o)
                      (f64.add (f64.load offset=8 (local.get $o))
                               (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01)))))))
                (f64.store (local.get $o1)
                  (f64.add (f64.load (local.get $o1))
                           (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10)))))
                (f64.store offset=8 (local.get $o1)
                  (f64.add (f64.load offset=8 (local.get $o1))
                           (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11))))))
              (else
                ;; the last row of an odd d: one row; a second column unless j is the diagonal
                (local.set $s00 (v128.const i64x2 0 0))
                (local.set $s01 (v128.const i64x2 0 0))
                (if (i32.lt_s (local.get $j) (local.get $i))
                  (then
                    (block $pairDone
                      (loop $pair
                        (br_if $pairDone (i32.ge_u (local.get $pa) (local.get $paEnd)))
                        (local.set $a0 (v128.load (local.get $pa)))
                        (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $a0) (v128.load (local.get $pb)))))
                        (local.set $s01 (f64x2.add (local.get $s01)
                          (f64x2.mul (local.get $a0) (v128.load (i32.add (local.get $pb) (local.get $sb))))))
                        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
                        (br $pair)))
                    (f64.store offset=8 (local.get $o)
                      (f64.add (f64.load offset=8 (local.get $o))
                               (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01))))))
                  (else
                    (block $oneDone
                      (loop $one
                        (br_if $oneDone (i32.ge_u (local.get $pa) (local.get $paEnd)))
                        (local.set $s00 (f64x2.add (local.get $s00)
                          (f64x2.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
                        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
                        (br $one)))))
                (f64.store (local.get $o)
                  (f64.add (f64.load (local.get $o))
                           (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows))))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; gather(x, d, rows, resp, kCount, shift, diffT, weightedT, stride, nk, sum) → count
  ;;
  ;; The M-step inputs of one component k from the rows it has mass on (used when most responsibilities are 0).
  ;; resp points at component k's column of the responsibilities [rows, kCount] (so row i's is resp[i · kCount]);
  ;; shift [d] is the component's shift. For the c-th row with r = resp[i · kCount] ≠ 0, writes the columns
  ;;   diffT[a · stride + c] = xᵢₐ − shiftₐ,   weightedT[a · stride + c] = r · (xᵢₐ − shiftₐ)
  ;; ([d, stride], transposed so that addLowerProduct reads them in pairs), adds Σ r to *nk and Σ_c weightedT[a, c]
  ;; to sum[a]; returns the number of rows gathered. The gathering is scalar (a strided scatter); the column sums
  ;; are f64x2.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "gather")
    (param $x i32) (param $d i32) (param $rows i32) (param $resp i32) (param $kCount i32) (param $shift i32)
    (param $diffT i32) (param $weightedT i32) (param $stride i32) (param $nk i32) (param $sum i32)
    (result i32)
    (local $row i32)
    (local $c i32)      ;; rows gathered so far
    (local $pr i32)     ;; &resp[row · kCount]
    (local $rstep i32)  ;; kCount in bytes
    (local $px i32) (local $ps i32) (local $pd i32) (local $pw i32)
    (local $sb i32)     ;; stride in bytes
    (local $a i32)
    (local $end i32)
    (local $r f64) (local $v f64)
    (local $mass f64)   ;; Σ r
    (local $acc v128)
    (local.set $rstep (i32.shl (local.get $kCount) (i32.const 3)))
    (local.set $sb (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $pr (local.get $resp))
    (local.set $px (local.get $x))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $row) (local.get $rows)))
        (if (f64.ne (local.tee $r (f64.load (local.get $pr))) (f64.const 0))
          (then
            (local.set $mass (f64.add (local.get $mass) (local.get $r)))
            (local.set $pd (i32.add (local.get $diffT) (i32.shl (local.get $c) (i32.const 3))))
            (local.set $pw (i32.add (local.get $weightedT) (i32.shl (local.get $c) (i32.const 3))))
            (local.set $ps (local.get $shift))
            (local.set $end (i32.add (local.get $px) (i32.shl (local.get $d) (i32.const 3))))
            (block $colDone
              (loop $col
                (br_if $colDone (i32.ge_u (local.get $px) (local.get $end)))
                (local.set $v (f64.sub (f64.load (local.get $px)) (f64.load (local.get $ps))))
                (f64.store (local.get $pd) (local.get $v))
                (f64.store (local.get $pw) (f64.mul (local.get $r) (local.get $v)))
                (local.set $px (i32.add (local.get $px) (i32.const 8)))
                (local.set $ps (i32.add (local.get $ps) (i32.const 8)))
                (local.set $pd (i32.add (local.get $pd) (local.get $sb)))
                (local.set $pw (i32.add (local.get $pw) (local.get $sb)))
                (br $col)))
            (local.set $c (i32.add (local.get $c) (i32.const 1))))
          (else
            (local.set $px (i32.add (local.get $px) (i32.shl (local.get $d) (i32.const 3))))))
        (local.set $pr (i32.add (local.get $pr) (local.get $rstep)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))
    (f64.store (local.get $nk) (f64.add (f64.load (local.get $nk)) (local.get $mass)))
    ;; sum[a] += Σ_c weightedT[a · stride + c], two at a time (an odd last one alone)
    (block $sumsDone
      (loop $sums
        (br_if $sumsDone (i32.ge_s (local.get $a) (local.get $d)))
        (local.set $pw (i32.add (local.get $weightedT) (i32.mul (local.get $a) (local.get $sb))))
        (local.set $end (i32.add (local.get $pw) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $acc (v128.const i64x2 0 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $pw) (i32.const 16)) (local.get $end)))
            (local.set $acc (f64x2.add (local.get $acc) (v128.load (local.get $pw))))
            (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
            (br $pairs)))
        (local.set $ps (i32.add (local.get $sum) (i32.shl (local.get $a) (i32.const 3))))
        (f64.store (local.get $ps)
          (f64.add (f64.load (local.get $ps))
                   (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
        (if (i32.lt_u (local.get $pw) (local.get $end))
          (then (f64.store (local.get $ps) (f64.add (f64.load (local.get $ps)) (f64.load (local.get $pw))))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $sums)))
    (local.get $c))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; transposeBlock(x, d, rows, xT, stride)
  ;;
  ;;   xT[a · stride + c] = x[c · d + a]   for rows c < rows of x [rows, d]
  ;; With odd rows, column `rows` of xT is zeroed: a pad that keeps f64x2 pairs whole for prepareDense and
  ;; addLowerProduct. Scalar: a transpose is loads and stores only.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "transposeBlock")
    (param $x i32) (param $d i32) (param $rows i32) (param $xT i32) (param $stride i32)
    (local $c i32) (local $a i32)
    (local $px i32) (local $pt i32)
    (local $sb i32)  ;; stride in bytes
    (local.set $sb (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $px (local.get $x))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $c) (local.get $rows)))
        (local.set $pt (i32.add (local.get $xT) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $a (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_s (local.get $a) (local.get $d)))
            (f64.store (local.get $pt) (f64.load (local.get $px)))
            (local.set $px (i32.add (local.get $px) (i32.const 8)))
            (local.set $pt (i32.add (local.get $pt) (local.get $sb)))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $cols)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $rows)))
    (if (i32.and (local.get $rows) (i32.const 1))
      (then
        (local.set $pt (i32.add (local.get $xT) (i32.shl (local.get $rows) (i32.const 3))))
        (local.set $a (i32.const 0))
        (block $padDone
          (loop $pad
            (br_if $padDone (i32.ge_s (local.get $a) (local.get $d)))
            (f64.store (local.get $pt) (f64.const 0))
            (local.set $pt (i32.add (local.get $pt) (local.get $sb)))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $pad))))))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; column(resp, kCount, rows, rk) → nonzeros
  ;;
  ;;   rk[c] = resp[c · kCount]   for c < rows (component k's responsibilities, resp pointing at its column)
  ;; and rk[rows] = 0 when rows is odd (the pad of transposeBlock). Returns how many are nonzero, which decides
  ;; between gather (sparse) and prepareDense.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "column")
    (param $resp i32) (param $kCount i32) (param $rows i32) (param $rk i32)
    (result i32)
    (local $c i32)
    (local $pr i32) (local $pk i32)
    (local $nz i32)
    (local $step i32)  ;; kCount in bytes
    (local $r f64)
    (local.set $step (i32.shl (local.get $kCount) (i32.const 3)))
    (local.set $pr (local.get $resp))
    (local.set $pk (local.get $rk))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $c) (local.get $rows)))
        (f64.store (local.get $pk) (local.tee $r (f64.load (local.get $pr))))
        (if (f64.ne (local.get $r) (f64.const 0))
          (then (local.set $nz (i32.add (local.get $nz) (i32.const 1)))))
        (local.set $pr (i32.add (local.get $pr) (local.get $step)))
        (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $each)))
    (if (i32.and (local.get $rows) (i32.const 1))
      (then (f64.store (local.get $pk) (f64.const 0))))
    (local.get $nz))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; prepareDense(xT, d, n, stride, rk, shift, diffT, weightedT, nk, sum)
  ;;
  ;; The M-step inputs of one component from a whole block (used when most responsibilities are nonzero; rows with
  ;; r = 0 add exact zeros). For all n (even) columns c of xT [d, stride] (transposeBlock's output):
  ;;   diffT[a, c] = xT[a, c] − shiftₐ,   weightedT[a, c] = rk[c] · diffT[a, c]
  ;; and adds Σ_c rk[c] to *nk and Σ_c weightedT[a, c] to sum[a]. Two columns per instruction.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "prepareDense")
    (param $xT i32) (param $d i32) (param $n i32) (param $stride i32) (param $rk i32) (param $shift i32)
    (param $diffT i32) (param $weightedT i32) (param $nk i32) (param $sum i32)
    (local $a i32)
    (local $off i32)  ;; byte offset of (a, c) in the [d, stride] arrays
    (local $end i32)
    (local $pk i32)   ;; &rk[c]
    (local $ps i32)   ;; &sum[a]
    (local $sb i32)   ;; stride in bytes
    (local $s v128)   ;; shiftₐ in both lanes
    (local $v v128) (local $w v128)
    (local $acc v128)
    (local.set $sb (i32.shl (local.get $stride) (i32.const 3)))
    ;; the mass Σ rk
    (local.set $pk (local.get $rk))
    (local.set $end (i32.add (local.get $rk) (i32.shl (local.get $n) (i32.const 3))))
    (block $massDone
      (loop $mass
        (br_if $massDone (i32.ge_u (local.get $pk) (local.get $end)))
        (local.set $acc (f64x2.add (local.get $acc) (v128.load (local.get $pk))))
        (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
        (br $mass)))
    (f64.store (local.get $nk)
      (f64.add (f64.load (local.get $nk))
               (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
    (block $dimsDone
      (loop $dims
        (br_if $dimsDone (i32.ge_s (local.get $a) (local.get $d)))
        (local.set $s (v128.load64_splat (i32.add (local.get $shift) (i32.shl (local.get $a) (i32.const 3)))))
        (local.set $off (i32.mul (local.get $a) (local.get $sb)))
        (local.set $end (i32.add (local.get $off) (i32.shl (local.get $n) (i32.const 3))))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $pk (local.get $rk))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $off) (local.get $end)))
            (local.set $v (f64x2.sub (v128.load (i32.add (local.get $xT) (local.get $off))) (local.get $s)))
            (v128.store (i32.add (local.get $diffT) (local.get $off)) (local.get $v))
            (local.set $w (f64x2.mul (local.get $v) (v128.load (local.get $pk))))
            (v128.store (i32.add (local.get $weightedT) (local.get $off)) (local.get $w))
            (local.set $acc (f64x2.add (local.get $acc) (local.get $w)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
            (br $cols)))
        (local.set $ps (i32.add (local.get $sum) (i32.shl (local.get $a) (i32.const 3))))
        (f64.store (local.get $ps)
          (f64.add (f64.load (local.get $ps))
                   (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $dims))))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; diagLogDensities(x, d, rows, means, w, bases, kCount, out)
  ;;
  ;; The E-step of the diagonal covariance types:
  ;;   out[i · kCount + k] = bases[k] − ½ Σₐ ((xᵢₐ − μₖₐ) · wₖₐ)²
  ;; for rows [0, rows) of x [rows, d], means and w [kCount, d] (w = 1/σ; the spherical type repeats its one value
  ;; over a). f64x2 over pairs of dims, a scalar step for an odd d. x rows may be 8-byte aligned only (a block can
  ;; start at any row when d is odd); v128.load allows that.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "diagLogDensities")
    (param $x i32) (param $d i32) (param $rows i32) (param $means i32) (param $w i32) (param $bases i32)
    (param $kCount i32) (param $out i32)
    (local $i i32) (local $k i32)
    (local $px i32) (local $pairEnd i32) (local $rowEnd i32)
    (local $pm i32) (local $pw i32)  ;; walk means and w [kCount, d] in order, across components
    (local $po i32)
    (local $db i32)  ;; d in bytes
    (local $q f64) (local $u f64)
    (local $acc v128) (local $v v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (local.set $po (local.get $out))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $k (i32.const 0))
        (local.set $pm (local.get $means))
        (local.set $pw (local.get $w))
        (block $componentsDone
          (loop $components
            (br_if $componentsDone (i32.ge_s (local.get $k) (local.get $kCount)))
            (local.set $rowEnd (i32.add (local.tee $px (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $db))))
                                        (local.get $db)))
            (local.set $pairEnd (i32.add (local.get $px)
              (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3))))
            (local.set $acc (v128.const i64x2 0 0))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.ge_u (local.get $px) (local.get $pairEnd)))
                (local.set $v (f64x2.mul (f64x2.sub (v128.load (local.get $px)) (v128.load (local.get $pm)))
                                         (v128.load (local.get $pw))))
                (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
                (local.set $px (i32.add (local.get $px) (i32.const 16)))
                (local.set $pm (i32.add (local.get $pm) (i32.const 16)))
                (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
                (br $pairs)))
            (local.set $q (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
            ;; odd d: the last dim
            (if (i32.lt_u (local.get $px) (local.get $rowEnd))
              (then
                (local.set $u (f64.mul (f64.sub (f64.load (local.get $px)) (f64.load (local.get $pm)))
                                       (f64.load (local.get $pw))))
                (local.set $q (f64.add (local.get $q) (f64.mul (local.get $u) (local.get $u))))
                (local.set $pm (i32.add (local.get $pm) (i32.const 8)))
                (local.set $pw (i32.add (local.get $pw) (i32.const 8)))))
            (f64.store (local.get $po)
              (f64.sub (f64.load (i32.add (local.get $bases) (i32.shl (local.get $k) (i32.const 3))))
                       (f64.mul (f64.const 0.5) (local.get $q))))
            (local.set $po (i32.add (local.get $po) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $components)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; diagAccumulate(x, d, rows, resp, kCount, shift, nk, sum, second)
  ;;
  ;; The M-step sums of the diagonal covariance types: for rows [0, rows) of x [rows, d] and every component k with
  ;; r = resp[i · kCount + k] ≠ 0,
  ;;   nk[k] += r,   sum[k, a] += r (xᵢₐ − shiftₖₐ),   second[k, a] += r (xᵢₐ − shiftₖₐ)²
  ;; (shift, sum, second [kCount, d]). f64x2 over pairs of dims, a scalar step for an odd d.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "diagAccumulate")
    (param $x i32) (param $d i32) (param $rows i32) (param $resp i32) (param $kCount i32) (param $shift i32)
    (param $nk i32) (param $sum i32) (param $second i32)
    (local $i i32) (local $k i32)
    (local $px i32) (local $pairEnd i32) (local $rowEnd i32)
    (local $ps i32) (local $psum i32) (local $psec i32)  ;; rows k of shift, sum, second
    (local $pr i32)  ;; &resp[i · kCount + k]
    (local $db i32)  ;; d in bytes
    (local $r f64) (local $u f64) (local $ru f64)
    (local $rv v128) (local $v v128) (local $wv v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (local.set $pr (local.get $resp))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $componentsDone
          (loop $components
            (br_if $componentsDone (i32.ge_s (local.get $k) (local.get $kCount)))
            (if (f64.ne (local.tee $r (f64.load (local.get $pr))) (f64.const 0))
              (then
                (local.set $ps (i32.add (local.get $nk) (i32.shl (local.get $k) (i32.const 3))))
                (f64.store (local.get $ps) (f64.add (f64.load (local.get $ps)) (local.get $r)))
                (local.set $rowEnd (i32.add (local.tee $px (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $db))))
                                            (local.get $db)))
                (local.set $pairEnd (i32.add (local.get $px)
                  (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3))))
                (local.set $ps (i32.mul (local.get $k) (local.get $db)))
                (local.set $psum (i32.add (local.get $ps) (local.get $sum)))
                (local.set $psec (i32.add (local.get $ps) (local.get $second)))
                (local.set $ps (i32.add (local.get $ps) (local.get $shift)))
                (local.set $rv (f64x2.splat (local.get $r)))
                (block $pairsDone
                  (loop $pairs
                    (br_if $pairsDone (i32.ge_u (local.get $px) (local.get $pairEnd)))
                    (local.set $v (f64x2.sub (v128.load (local.get $px)) (v128.load (local.get $ps))))
                    (local.set $wv (f64x2.mul (local.get $rv) (local.get $v)))
                    (v128.store (local.get $psum) (f64x2.add (v128.load (local.get $psum)) (local.get $wv)))
                    (v128.store (local.get $psec)
                      (f64x2.add (v128.load (local.get $psec)) (f64x2.mul (local.get $wv) (local.get $v))))
                    (local.set $px (i32.add (local.get $px) (i32.const 16)))
                    (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
                    (local.set $psum (i32.add (local.get $psum) (i32.const 16)))
                    (local.set $psec (i32.add (local.get $psec) (i32.const 16)))
                    (br $pairs)))
                ;; odd d: the last dim
                (if (i32.lt_u (local.get $px) (local.get $rowEnd))
                  (then
                    (local.set $u (f64.sub (f64.load (local.get $px)) (f64.load (local.get $ps))))
                    (local.set $ru (f64.mul (local.get $r) (local.get $u)))
                    (f64.store (local.get $psum) (f64.add (f64.load (local.get $psum)) (local.get $ru)))
                    (f64.store (local.get $psec)
                      (f64.add (f64.load (local.get $psec)) (f64.mul (local.get $ru) (local.get $u))))))))
            (local.set $pr (i32.add (local.get $pr) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $components)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)
