;; k-means kernels of the Gaussian mixture's initialisation: Elkan's bounded assignment step and the k-means++
;; potential. The same steps as ../kmeans.ts, equal to rounding; distances are f64x2 over pairs of dims with a scalar
;; step for an odd d.
;;
;; Memory: the module imports one memory (env.memory) that arena.ts allocates and fills; every pointer parameter is a
;; byte offset into it, of a float64 array unless said otherwise (labels is int32). Arrays are row-major:
;; "x [rows, d]" means element (i, a) is at x + 8 (i·d + a).
;;
;; Assembled by wabt at build time: `node scripts/build-wasm.mjs` writes kernels.generated.ts.
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; assign(x, d, rows, centers, k, halfDist, half, moved, labels, upper, lower, sums, counts) → changed
  ;;
  ;; One Lloyd assignment with Elkan's bounds, the same steps as `assign` in ../kmeans.ts (see there), for rows
  ;; [0, rows) of x [rows, d] and centres [k, d]:
  ;;   halfDist [k, k]  half the distances between centres;  half [k]  half the distance to each centre's nearest
  ;;   moved [k]        how far each centre moved in the last update
  ;;   labels [rows]    int32 cluster of each row, −1 before the first pass
  ;;   upper [rows]     upper bound of each row's distance to its centre;  lower [rows, k]  lower bounds to every one
  ;;   sums [k, d], counts [k]  per-cluster sums of rows and row counts, kept up to date as rows change cluster
  ;; The bounds first follow the centres' moves; a row is skipped when its upper bound is within half[label]; centre
  ;; c is examined only when the upper bound exceeds max(lower[i, c], halfDist[label, c]), the upper bound being
  ;; tightened (made exact) at most once per row. Returns how many rows changed cluster.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "assign")
    (param $x i32) (param $d i32) (param $rows i32) (param $centers i32) (param $k i32) (param $halfDist i32)
    (param $half i32) (param $moved i32) (param $labels i32) (param $upper i32) (param $lower i32)
    (param $sums i32) (param $counts i32)
    (result i32)
    (local $i i32)
    (local $px i32)      ;; row i of x
    (local $pxEnd i32)   ;; its end
    (local $pairEnd i32) ;; the end of its whole pairs of dims
    (local $plo i32)     ;; row i of lower
    (local $from i32)    ;; the row's label before this pass
    (local $l i32)       ;; its label now
    (local $c i32)       ;; the centre examined
    (local $cEnd i32)    ;; the end of the pair of centres c belongs to
    (local $t i32)       ;; the centre measured: l (to tighten u) or c
    (local $tight i32)   ;; whether u is exact for this row
    (local $changed i32)
    (local $db i32)      ;; d in bytes
    (local $pa i32) (local $pc i32) (local $pEnd i32)
    (local $u f64)       ;; upper bound of the row's distance to centre l
    (local $z f64)       ;; max(lower[i, c], halfDist[l, c])
    (local $dist f64) (local $e f64)
    (local $acc v128) (local $v v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (local.set $px (local.get $x))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $pxEnd (i32.add (local.get $px) (local.get $db)))
        (local.set $pairEnd (i32.add (local.get $px) (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3))))
        (local.set $plo (i32.add (local.get $lower) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 3))))
        (local.set $l (local.tee $from (i32.load (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2))))))
        (if (i32.lt_s (local.get $from) (i32.const 0))
          (then
            ;; first pass: every distance (which become the lower bounds), the nearest wins
            (local.set $u (f64.const inf))
            (local.set $c (i32.const 0))
            (block $firstDone
              (loop $first
                (br_if $firstDone (i32.ge_s (local.get $c) (local.get $k)))
                ;; dist = |x − centre c| (as in the examination below)
                (local.set $pa (local.get $px))
                (local.set $pc (i32.add (local.get $centers) (i32.mul (local.get $c) (local.get $db))))
                (local.set $acc (v128.const i64x2 0 0))
                (block $pairsDone
                  (loop $pairs
                    (br_if $pairsDone (i32.ge_u (local.get $pa) (local.get $pairEnd)))
                    (local.set $v (f64x2.sub (v128.load (local.get $pa)) (v128.load (local.get $pc))))
                    (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                    (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
                    (br $pairs)))
                (local.set $dist (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
                (if (i32.lt_u (local.get $pa) (local.get $pxEnd))
                  (then
                    (local.set $e (f64.sub (f64.load (local.get $pa)) (f64.load (local.get $pc))))
                    (local.set $dist (f64.add (local.get $dist) (f64.mul (local.get $e) (local.get $e))))))
                (local.set $dist (f64.sqrt (local.get $dist)))
                (f64.store (i32.add (local.get $plo) (i32.shl (local.get $c) (i32.const 3))) (local.get $dist))
                (if (f64.lt (local.get $dist) (local.get $u))
                  (then
                    (local.set $u (local.get $dist))
                    (local.set $l (local.get $c))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $first))))
          (else
            ;; the bounds follow the centres: u += moved[l], lower[i, c] −= moved[c] (two at a time)
            (local.set $u (f64.add (f64.load (i32.add (local.get $upper) (i32.shl (local.get $i) (i32.const 3))))
                                   (f64.load (i32.add (local.get $moved) (i32.shl (local.get $l) (i32.const 3))))))
            (local.set $pa (local.get $plo))
            (local.set $pc (local.get $moved))
            (local.set $pEnd (i32.add (local.get $plo) (i32.shl (i32.and (local.get $k) (i32.const -2)) (i32.const 3))))
            (block $boundsDone
              (loop $bounds
                (br_if $boundsDone (i32.ge_u (local.get $pa) (local.get $pEnd)))
                (v128.store (local.get $pa) (f64x2.sub (v128.load (local.get $pa)) (v128.load (local.get $pc))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
                (br $bounds)))
            (if (i32.and (local.get $k) (i32.const 1))
              (then (f64.store (local.get $pa) (f64.sub (f64.load (local.get $pa)) (f64.load (local.get $pc))))))
            ;; unless the row is within half the distance from its centre to the next one, examine the centres
            (if (f64.lt (f64.load (i32.add (local.get $half) (i32.shl (local.get $l) (i32.const 3)))) (local.get $u))
              (then
                (local.set $tight (i32.const 0))
                (local.set $c (i32.const 0))
                ;; centres in pairs (c, c + 1), an odd last one alone
                (block $pairsOfCentresDone
                  (loop $pairsOfCentres
                    (br_if $pairsOfCentresDone (i32.ge_s (local.get $c) (local.get $k)))
                    (local.set $cEnd (i32.add (local.get $c) (i32.const 2)))
                    (if (i32.gt_s (local.get $cEnd) (local.get $k))
                      (then (local.set $cEnd (local.get $k))))
                    ;; A whole pair is skipped when neither centre passes the bound test below: one f64x2 compare
                    ;; instead of a branch per centre (most centres are ruled out once the bounds settle).
                    (if (i32.eq (local.get $cEnd) (i32.add (local.get $c) (i32.const 2)))
                      (then
                        (if (i32.eqz (v128.any_true
                              (f64x2.gt (f64x2.splat (local.get $u))
                                        (f64x2.max (v128.load (i32.add (local.get $plo) (i32.shl (local.get $c) (i32.const 3))))
                                                   (v128.load (i32.add (local.get $halfDist)
                                                     (i32.shl (i32.add (i32.mul (local.get $l) (local.get $k)) (local.get $c)) (i32.const 3))))))))
                          (then
                            (local.set $c (local.get $cEnd))
                            (br $pairsOfCentres)))))
                    (loop $centres
                      ;; examine centre c (a `br $next` moves on to the next one)
                      (block $next
                        (br_if $next (i32.eq (local.get $c) (local.get $l)))
                        ;; the bound test: c can be nearer only when u > max(lower[i, c], halfDist[l, c])
                        (local.set $z (f64.max
                          (f64.load (i32.add (local.get $plo) (i32.shl (local.get $c) (i32.const 3))))
                          (f64.load (i32.add (local.get $halfDist)
                            (i32.shl (i32.add (i32.mul (local.get $l) (local.get $k)) (local.get $c)) (i32.const 3))))))
                        (br_if $next (f64.le (local.get $u) (local.get $z)))
                        ;; Measure centre t: while u is only a bound, first t = l, to make u exact (once per row) and
                        ;; test again; then t = c. The distance loop is written out rather than called (here and in
                        ;; the first pass): V8 as of Node 20 does not inline wasm calls, and calls made k-means
                        ;; 15–20% slower.
                        (local.set $t (select (local.get $c) (local.get $l) (local.get $tight)))
                        (loop $measure
                          ;; dist = |x − centre t|: pairs of dims in f64x2 lanes, the lanes summed, an odd last dim
                          (local.set $pa (local.get $px))
                          (local.set $pc (i32.add (local.get $centers) (i32.mul (local.get $t) (local.get $db))))
                          (local.set $acc (v128.const i64x2 0 0))
                          (block $dimsDone
                            (loop $dims
                              (br_if $dimsDone (i32.ge_u (local.get $pa) (local.get $pairEnd)))
                              (local.set $v (f64x2.sub (v128.load (local.get $pa)) (v128.load (local.get $pc))))
                              (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
                              (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                              (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
                              (br $dims)))
                          (local.set $dist (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
                          (if (i32.lt_u (local.get $pa) (local.get $pxEnd))
                            (then
                              (local.set $e (f64.sub (f64.load (local.get $pa)) (f64.load (local.get $pc))))
                              (local.set $dist (f64.add (local.get $dist) (f64.mul (local.get $e) (local.get $e))))))
                          (local.set $dist (f64.sqrt (local.get $dist)))
                          (f64.store (i32.add (local.get $plo) (i32.shl (local.get $t) (i32.const 3))) (local.get $dist))
                          (if (i32.eqz (local.get $tight))
                            (then
                              ;; that was centre l: u is exact now
                              (local.set $u (local.get $dist))
                              (local.set $tight (i32.const 1))
                              (br_if $next (f64.le (local.get $u) (local.get $z)))
                              (local.set $t (local.get $c))
                              (br $measure))))
                        (if (f64.lt (local.get $dist) (local.get $u))
                          (then
                            (local.set $u (local.get $dist))
                            (local.set $l (local.get $c)))))
                      (local.set $c (i32.add (local.get $c) (i32.const 1)))
                      (br_if $centres (i32.lt_s (local.get $c) (local.get $cEnd))))
                    (br $pairsOfCentres)))))))
        (f64.store (i32.add (local.get $upper) (i32.shl (local.get $i) (i32.const 3))) (local.get $u))
        ;; a row that changed cluster moves in the sums and counts: sums[from] −= x unless this was its first pass,
        ;; and sums[l] += x
        (if (i32.ne (local.get $l) (local.get $from))
          (then
            (local.set $changed (i32.add (local.get $changed) (i32.const 1)))
            (i32.store (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2))) (local.get $l))
            (if (i32.ge_s (local.get $from) (i32.const 0))
              (then
                (local.set $pa (local.get $px))
                (local.set $pc (i32.add (local.get $sums) (i32.mul (local.get $from) (local.get $db))))
                (block $outDone
                  (loop $out
                    (br_if $outDone (i32.ge_u (local.get $pa) (local.get $pxEnd)))
                    (f64.store (local.get $pc) (f64.sub (f64.load (local.get $pc)) (f64.load (local.get $pa))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
                    (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
                    (br $out)))
                (local.set $pc (i32.add (local.get $counts) (i32.shl (local.get $from) (i32.const 3))))
                (f64.store (local.get $pc) (f64.add (f64.load (local.get $pc)) (f64.const -1)))))
            (local.set $pa (local.get $px))
            (local.set $pc (i32.add (local.get $sums) (i32.mul (local.get $l) (local.get $db))))
            (block $inDone
              (loop $in
                (br_if $inDone (i32.ge_u (local.get $pa) (local.get $pxEnd)))
                (f64.store (local.get $pc) (f64.add (f64.load (local.get $pc)) (f64.load (local.get $pa))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
                (br $in)))
            (local.set $pc (i32.add (local.get $counts) (i32.shl (local.get $l) (i32.const 3))))
            (f64.store (local.get $pc) (f64.add (f64.load (local.get $pc)) (f64.const 1)))))
        (local.set $px (local.get $pxEnd))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (local.get $changed))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; potential(x, d, rows, point, closest, update) → Σᵢ min(closestᵢ, |xᵢ − point|²)
  ;;
  ;; For rows [0, rows) of x [rows, d], point [d] and closest [rows] (each row's squared distance to its nearest
  ;; centre so far). With update ≠ 0 the minimum is also written back to closest: k-means++ seeding tries candidate
  ;; centres with update = 0 and commits the chosen one with update = 1.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "potential")
    (param $x i32) (param $d i32) (param $rows i32) (param $point i32) (param $closest i32) (param $update i32)
    (result f64)
    (local $px i32) (local $pp i32)
    (local $pairEnd i32) (local $rowEnd i32)
    (local $pcl i32) (local $clEnd i32)  ;; walk closest
    (local $total f64) (local $dist f64) (local $e f64)
    (local $acc v128) (local $v v128)
    (local.set $px (local.get $x))
    (local.set $pcl (local.get $closest))
    (local.set $clEnd (i32.add (local.get $closest) (i32.shl (local.get $rows) (i32.const 3))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $pcl) (local.get $clEnd)))
        ;; dist = |xᵢ − point|²: pairs of dims in f64x2 lanes, the lanes summed, an odd last dim
        (local.set $rowEnd (i32.add (local.get $px) (i32.shl (local.get $d) (i32.const 3))))
        (local.set $pairEnd (i32.add (local.get $px) (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3))))
        (local.set $pp (local.get $point))
        (local.set $acc (v128.const i64x2 0 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $px) (local.get $pairEnd)))
            (local.set $v (f64x2.sub (v128.load (local.get $px)) (v128.load (local.get $pp))))
            (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
            (local.set $px (i32.add (local.get $px) (i32.const 16)))
            (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
            (br $pairs)))
        (local.set $dist (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
        (if (i32.lt_u (local.get $px) (local.get $rowEnd))
          (then
            (local.set $e (f64.sub (f64.load (local.get $px)) (f64.load (local.get $pp))))
            (local.set $dist (f64.add (local.get $dist) (f64.mul (local.get $e) (local.get $e))))))
        (local.set $px (local.get $rowEnd))
        ;; the minimum with closestᵢ, written back when updating
        (if (f64.lt (local.get $dist) (f64.load (local.get $pcl)))
          (then
            (if (local.get $update) (then (f64.store (local.get $pcl) (local.get $dist)))))
          (else
            (local.set $dist (f64.load (local.get $pcl)))))
        (local.set $total (f64.add (local.get $total) (local.get $dist)))
        (local.set $pcl (i32.add (local.get $pcl) (i32.const 8)))
        (br $rows)))
    (local.get $total))
)
