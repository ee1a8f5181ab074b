;; k-means kernels of the Gaussian mixture's initialisation: Hamerly's bounded assignment step and the k-means++
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
  ;; assign(x, d, rows, centers, centersT, kp, half, moved, drop, labels, upper, lower, dists, list, sums, counts,
  ;;        full) → changed
  ;;
  ;; One Lloyd assignment with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"), the same steps as
  ;; `assignRows` in ../kmeans.ts (see there), for rows [0, rows) of x [rows, d] (one chunk of the data):
  ;;   centers [k, d]    the centres;  centersT [d, kp]  the same transposed, padded with far-away centres (+inf) to
  ;;                     kp, a multiple of 4, so that four centres are measured at once (two f64x2 per dim)
  ;;   half [k]          half the distance from each centre to its nearest other one
  ;;   moved [k]         how far each centre moved in the last update;  drop [k]  the most any other centre moved
  ;;   labels [rows]     int32 cluster of each row, −1 before the first pass
  ;;   upper [rows]      ≥ the distance from each row to its centre;  lower [rows]  ≤ its distance to any other centre
  ;;   dists [kp]        scratch: one row's distances to every centre;  list [rows]  int32 scratch: rows to examine
  ;;   sums [k, d], counts [k]  this chunk's share of the clusters' sums and counts (zeroed by the caller): with
  ;;                     full ≠ 0 every row adds itself to its cluster; otherwise a row that changed cluster moves from
  ;;                     its old one to its new one
  ;; A row is skipped when its upper bound is at most max(lower bound, half[label]); else the upper bound is made exact
  ;; and tested again; else every distance is measured. (Each step is a pass over a list of rows, without branches on
  ;; the data: it lists the rows left for the next step; a branch that goes either way at random cost more.) The nearest
  ;; centre wins (the current one on a tie) and the second nearest is the new lower bound. Distances are summed as
  ;; everywhere in these kernels (even dims in one lane, odd dims in the other, then the two, then an odd last dim), so
  ;; they equal the scalar ones bit for bit.
  ;; Returns how many rows changed cluster.
  ;; ---------------------------------------------------------------------------------------------------------------
  (func (export "assign")
    (param $x i32) (param $d i32) (param $rows i32) (param $centers i32) (param $centersT i32) (param $kp i32)
    (param $half i32) (param $moved i32) (param $drop i32) (param $labels i32) (param $upper i32) (param $lower i32)
    (param $dists i32) (param $list i32) (param $sums i32) (param $counts i32) (param $full i32)
    (result i32)
    (local $i i32)
    (local $j i32)       ;; position in list
    (local $count i32)   ;; rows listed
    (local $again i32)   ;; rows listed again
    (local $px i32)      ;; row i of x
    (local $pxEnd i32)   ;; its end
    (local $pairEnd i32) ;; the end of its whole pairs of dims
    (local $from i32)    ;; the row's label before this pass
    (local $l i32)       ;; its label now
    (local $c i32)
    (local $changed i32)
    (local $db i32)      ;; d in bytes
    (local $rs i32)      ;; a row of centersT in bytes
    (local $pa i32) (local $pc i32) (local $pt i32)
    (local $u f64)       ;; upper bound of the row's distance to centre l
    (local $lb f64)      ;; lower bound of its distance to any other centre
    (local $z f64)       ;; max(lb, half[l])
    (local $dist f64) (local $e f64) (local $best f64) (local $second f64) (local $own f64)
    (local $acc v128) (local $v v128)
    (local $xa v128) (local $xb v128)
    (local $eA v128) (local $oA v128) (local $eB v128) (local $oB v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (local.set $rs (i32.shl (local.get $kp) (i32.const 3)))
    ;; the bounds follow the centres (u += moved[label], lb −= drop[label]); rows without a label, or whose bounds no
    ;; longer settle it (u > max(lb, half[label])), are listed
    (block $boundsDone
      (loop $bounds
        (br_if $boundsDone (i32.ge_s (local.get $i) (local.get $rows)))
        (local.set $from (i32.load (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2)))))
        (i32.store (i32.add (local.get $list) (i32.shl (local.get $count) (i32.const 2))) (local.get $i))
        (if (i32.lt_s (local.get $from) (i32.const 0))
          (then (local.set $count (i32.add (local.get $count) (i32.const 1))))
          (else
            (local.set $pa (i32.add (local.get $upper) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $pa) (local.tee $u
              (f64.add (f64.load (local.get $pa)) (f64.load (i32.add (local.get $moved) (i32.shl (local.get $from) (i32.const 3)))))))
            (local.set $pa (i32.add (local.get $lower) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $pa) (local.tee $lb
              (f64.sub (f64.load (local.get $pa)) (f64.load (i32.add (local.get $drop) (i32.shl (local.get $from) (i32.const 3)))))))
            (local.set $count (i32.add (local.get $count)
              (f64.gt (local.get $u)
                      (f64.max (local.get $lb) (f64.load (i32.add (local.get $half) (i32.shl (local.get $from) (i32.const 3))))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bounds)))
    ;; the listed rows: the upper bound made exact (the distance to the row's centre); the rows that it does not settle
    ;; either (and those without a label) are listed again, in place
    (block $tightDone
      (loop $tight
        (br_if $tightDone (i32.ge_s (local.get $j) (local.get $count)))
        (local.set $i (i32.load (i32.add (local.get $list) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $from (i32.load (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2)))))
        (i32.store (i32.add (local.get $list) (i32.shl (local.get $again) (i32.const 2))) (local.get $i))
        (if (i32.lt_s (local.get $from) (i32.const 0))
          (then (local.set $again (i32.add (local.get $again) (i32.const 1))))
          (else
            ;; u = |x − centre from| (pairs of dims in f64x2 lanes, the lanes summed, an odd last dim)
            (local.set $pa (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $db))))
            (local.set $pxEnd (i32.add (local.get $pa) (local.get $db)))
            (local.set $pairEnd (i32.add (local.get $pa) (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3))))
            (local.set $pc (i32.add (local.get $centers) (i32.mul (local.get $from) (local.get $db))))
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
            (f64.store (i32.add (local.get $upper) (i32.shl (local.get $i) (i32.const 3))) (local.tee $u (f64.sqrt (local.get $dist))))
            (local.set $again (i32.add (local.get $again)
              (f64.gt (local.get $u)
                      (f64.max (f64.load (i32.add (local.get $lower) (i32.shl (local.get $i) (i32.const 3))))
                               (f64.load (i32.add (local.get $half) (i32.shl (local.get $from) (i32.const 3))))))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tight)))
    ;; the rows listed again: every distance
    (local.set $j (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $j) (local.get $again)))
        (local.set $i (i32.load (i32.add (local.get $list) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $px (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $db))))
        (local.set $pxEnd (i32.add (local.get $px) (local.get $db)))
        (local.set $pairEnd (i32.add (local.get $px) (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3))))
        (local.set $l (local.tee $from (i32.load (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2))))))
        ;; every distance, four centres at a time: lanes of eA/oA are centres c, c + 1 and of eB/oB c + 2, c + 3;
        ;; e sums the even dims, o the odd ones
        (local.set $c (i32.const 0))
        (block $groupsDone
          (loop $groups
            (br_if $groupsDone (i32.ge_s (local.get $c) (local.get $kp)))
            (local.set $pa (local.get $px))
            (local.set $pt (i32.add (local.get $centersT) (i32.shl (local.get $c) (i32.const 3))))
            (local.set $eA (v128.const i64x2 0 0))
            (local.set $oA (v128.const i64x2 0 0))
            (local.set $eB (v128.const i64x2 0 0))
            (local.set $oB (v128.const i64x2 0 0))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.ge_u (local.get $pa) (local.get $pairEnd)))
                (local.set $xa (v128.load64_splat (local.get $pa)))
                (local.set $xb (v128.load64_splat offset=8 (local.get $pa)))
                (local.set $v (f64x2.sub (local.get $xa) (v128.load (local.get $pt))))
                (local.set $eA (f64x2.add (local.get $eA) (f64x2.mul (local.get $v) (local.get $v))))
                (local.set $v (f64x2.sub (local.get $xa) (v128.load offset=16 (local.get $pt))))
                (local.set $eB (f64x2.add (local.get $eB) (f64x2.mul (local.get $v) (local.get $v))))
                (local.set $pt (i32.add (local.get $pt) (local.get $rs)))
                (local.set $v (f64x2.sub (local.get $xb) (v128.load (local.get $pt))))
                (local.set $oA (f64x2.add (local.get $oA) (f64x2.mul (local.get $v) (local.get $v))))
                (local.set $v (f64x2.sub (local.get $xb) (v128.load offset=16 (local.get $pt))))
                (local.set $oB (f64x2.add (local.get $oB) (f64x2.mul (local.get $v) (local.get $v))))
                (local.set $pt (i32.add (local.get $pt) (local.get $rs)))
                (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                (br $pairs)))
            (local.set $eA (f64x2.add (local.get $eA) (local.get $oA)))
            (local.set $eB (f64x2.add (local.get $eB) (local.get $oB)))
            (if (i32.lt_u (local.get $pa) (local.get $pxEnd))
              (then
                ;; odd d: the last dim
                (local.set $xa (v128.load64_splat (local.get $pa)))
                (local.set $v (f64x2.sub (local.get $xa) (v128.load (local.get $pt))))
                (local.set $eA (f64x2.add (local.get $eA) (f64x2.mul (local.get $v) (local.get $v))))
                (local.set $v (f64x2.sub (local.get $xa) (v128.load offset=16 (local.get $pt))))
                (local.set $eB (f64x2.add (local.get $eB) (f64x2.mul (local.get $v) (local.get $v))))))
            (local.set $pa (i32.add (local.get $dists) (i32.shl (local.get $c) (i32.const 3))))
            (v128.store (local.get $pa) (f64x2.sqrt (local.get $eA)))
            (v128.store offset=16 (local.get $pa) (f64x2.sqrt (local.get $eB)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $groups)))
        ;; the nearest (first on a tie) and the second nearest
        (local.set $best (f64.const inf))
        (local.set $second (f64.const inf))
        (local.set $c (i32.const 0))
        (local.set $pa (local.get $dists))
        (block $scanDone
          (loop $scan
            (br_if $scanDone (i32.ge_s (local.get $c) (local.get $kp)))
            (local.set $dist (f64.load (local.get $pa)))
            (if (f64.lt (local.get $dist) (local.get $best))
              (then
                (local.set $second (local.get $best))
                (local.set $best (local.get $dist))
                (local.set $l (local.get $c)))
              (else
                (if (f64.lt (local.get $dist) (local.get $second))
                  (then (local.set $second (local.get $dist))))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $scan)))
        ;; a tie with the current centre keeps it
        (if (i32.ge_s (local.get $from) (i32.const 0))
          (then
            (local.set $own (f64.load (i32.add (local.get $dists) (i32.shl (local.get $from) (i32.const 3)))))
            (if (f64.eq (local.get $own) (local.get $best))
              (then (local.set $l (local.get $from))))))
        (local.set $u (local.get $best))
        (local.set $lb (local.get $second))
        (f64.store (i32.add (local.get $upper) (i32.shl (local.get $i) (i32.const 3))) (local.get $u))
        (f64.store (i32.add (local.get $lower) (i32.shl (local.get $i) (i32.const 3))) (local.get $lb))
        (if (i32.ne (local.get $l) (local.get $from))
          (then
            (local.set $changed (i32.add (local.get $changed) (i32.const 1)))
            (i32.store (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2))) (local.get $l))))
        ;; unless full (below), the chunk's sums: a row that changed cluster leaves its old one (unless this was its
        ;; first pass) and joins the new one
        (if (i32.and (i32.eqz (local.get $full)) (i32.ne (local.get $l) (local.get $from)))
          (then
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
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows)))
    ;; full: every row joins its cluster's sums
    (if (local.get $full)
      (then
        (local.set $i (i32.const 0))
        (local.set $pa (local.get $x))
        (block $allDone
          (loop $all
            (br_if $allDone (i32.ge_s (local.get $i) (local.get $rows)))
            (local.set $l (i32.load (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $pxEnd (i32.add (local.get $pa) (local.get $db)))
            (local.set $pc (i32.add (local.get $sums) (i32.mul (local.get $l) (local.get $db))))
            (block $dimsDone
              (loop $dims
                (br_if $dimsDone (i32.ge_u (local.get $pa) (local.get $pxEnd)))
                (f64.store (local.get $pc) (f64.add (f64.load (local.get $pc)) (f64.load (local.get $pa))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
                (br $dims)))
            (local.set $pc (i32.add (local.get $counts) (i32.shl (local.get $l) (i32.const 3))))
            (f64.store (local.get $pc) (f64.add (f64.load (local.get $pc)) (f64.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $all)))))
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
