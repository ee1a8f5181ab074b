/**
 * k-means kernels (WebAssembly f64x2 SIMD, generated with assembler.ts): Elkan's bounded assignment step and the
 * k-means++ potential. The same steps as ../kmeans.ts. Pointers are byte offsets into the imported memory.
 */
import { FunctionBuilder, type Local } from './assembler.js';

/**
 * assign(x, d, rows, centers, k, halfDist, half, moved, labels, upper, lower, sums, counts) → changed: one Lloyd
 * assignment with Elkan's bounds, the same steps as `assign` in ../kmeans.ts (see there): bounds follow the centres'
 * moves, a row is skipped when its upper bound is within half[label], centre c is examined only when the upper bound
 * exceeds max(lower[i, c], halfDist[label, c]); distances are f64x2 over pairs of dims. A row that changes cluster
 * is moved in the sums and counts.
 */
export function assign(): FunctionBuilder {
  const f = new FunctionBuilder('assign', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], ['i32']);
  const [X, D, ROWS, CENTERS, K, HALFDIST, HALF, MOVED, LABELS, UPPER, LOWER, SUMS, COUNTS] = f.params(13);
  const [i, px, pxEnd, pairEnd, plo, from, l, c, c1, tight, changed, db, pa, pc, pEnd, kPairs] = f.locals('i32', 16);
  const [u, z, dist, t] = f.locals('f64', 4);
  const [acc, v] = f.locals('v128', 2);
  const at8 = (g: FunctionBuilder, base: Local, index: Local) => g.get(base).get(index).i32(3).shl().add();
  // Examines centre `cc` for the current row (Elkan's test, tightening the upper bound once): may change u and l.
  const examine = (h: FunctionBuilder, cc: Local) => {
    h.block(); // a `br 0` below skips the centre
    {
      h.get(cc).get(l).eq().brIf(0);
      at8(h, plo, cc).f64Load().get(HALFDIST).get(l).get(K).mul().get(cc).add().i32(3).shl().add().f64Load().fmax().set(z);
      h.get(u).get(z).fle().brIf(0);
      h.get(tight).eqz().if();
      {
        distance(h, l);
        h.get(dist).set(u);
        at8(h, plo, l).get(u).f64Store();
        h.i32(1).set(tight);
      }
      h.end();
      h.get(u).get(z).fle().brIf(0);
      distance(h, cc);
      at8(h, plo, cc).get(dist).f64Store();
      h.get(dist).get(u).flt().if().get(dist).set(u).get(cc).set(l).end();
    }
    h.end();
  };
  // dist = |x − centre[centre]|
  const distance = (g: FunctionBuilder, centre: Local) => {
    g.get(CENTERS).get(centre).get(db).mul().add().set(pc).get(px).set(pa).v128Zero().set(acc);
    g.while(
      (h) => h.get(pa).get(pairEnd).ltU(),
      (h) => {
        h.get(pa).v128Load().get(pc).v128Load().vsub().set(v);
        h.get(acc).get(v).get(v).vmul().vadd().set(acc);
        h.inc(pa, 16).inc(pc, 16);
      },
    );
    g.get(acc).lane(0).get(acc).lane(1).fadd().set(dist);
    g.get(pa).get(pxEnd).ltU().if();
    g.get(pa).f64Load().get(pc).f64Load().fsub().set(t);
    g.get(dist).get(t).get(t).fmul().fadd().set(dist);
    g.end();
    g.get(dist).fsqrt().set(dist);
  };
  // sums[cluster] += sign · x, counts[cluster] += sign
  const addRow = (g: FunctionBuilder, cluster: Local, sign: 1 | -1) => {
    g.get(SUMS).get(cluster).get(db).mul().add().set(pc).get(px).set(pa);
    g.while(
      (h) => h.get(pa).get(pxEnd).ltU(),
      (h) => {
        h.get(pc).get(pc).f64Load().get(pa).f64Load();
        if (sign > 0) h.fadd();
        else h.fsub();
        h.f64Store();
        h.inc(pa, 8).inc(pc, 8);
      },
    );
    at8(g, COUNTS, cluster).get(COUNTS).get(cluster).i32(3).shl().add().f64Load().f64(sign).fadd().f64Store();
  };
  f.get(D).i32(3).shl().set(db);
  f.get(K).i32(-2).and().set(kPairs); // K rounded down to even
  f.i32(0).set(i).i32(0).set(changed).get(X).set(px);
  f.while(
    (g) => g.get(i).get(ROWS).ltS(),
    (g) => {
      g.get(px).get(db).add().set(pxEnd);
      g.get(px).get(D).i32(-2).and().i32(3).shl().add().set(pairEnd);
      g.get(LOWER).get(i).get(K).mul().i32(3).shl().add().set(plo);
      g.get(LABELS).get(i).i32(2).shl().add().i32Load().tee(from).set(l);
      g.get(from).i32(0).ltS().if();
      {
        // first pass: every distance
        g.f64(Infinity).set(u).i32(0).set(c);
        g.while(
          (h) => h.get(c).get(K).ltS(),
          (h) => {
            distance(h, c);
            at8(h, plo, c).get(dist).f64Store();
            h.get(dist).get(u).flt().if().get(dist).set(u).get(c).set(l).end();
            h.inc(c, 1);
          },
        );
      }
      g.else();
      {
        at8(g, UPPER, i).f64Load().get(MOVED).get(l).i32(3).shl().add().f64Load().fadd().set(u);
        // lower[i, c] −= moved[c], two at a time
        g.get(plo).set(pa).get(MOVED).set(pc).get(plo).get(kPairs).i32(3).shl().add().set(pEnd);
        g.while(
          (h) => h.get(pa).get(pEnd).ltU(),
          (h) => {
            h.get(pa).get(pa).v128Load().get(pc).v128Load().vsub().v128Store();
            h.inc(pa, 16).inc(pc, 16);
          },
        );
        g.get(K).i32(1).and().if();
        g.get(pa).get(pa).f64Load().get(pc).f64Load().fsub().f64Store();
        g.end();
        at8(g, HALF, l).f64Load().get(u).flt().if();
        {
          g.i32(0).set(tight).i32(0).set(c);
          // centre pairs whose bounds both rule them out are skipped without a branch per centre
          g.while(
            (h) => h.get(c).get(kPairs).ltS(),
            (h) => {
              h.get(u).splat();
              at8(h, plo, c).v128Load().get(HALFDIST).get(l).get(K).mul().get(c).add().i32(3).shl().add().v128Load().vmax();
              h.vgt().anyTrue().if();
              examine(h, c);
              h.get(c).i32(1).add().set(c1);
              examine(h, c1);
              h.end();
              h.inc(c, 2);
            },
          );
          g.get(K).i32(1).and().if();
          examine(g, c);
          g.end();
        }
        g.end();
      }
      g.end();
      at8(g, UPPER, i).get(u).f64Store();
      g.get(l).get(from).ne().if();
      {
        g.inc(changed, 1);
        g.get(LABELS).get(i).i32(2).shl().add().get(l).i32Store();
        g.get(from).i32(0).geS().if();
        addRow(g, from, -1);
        g.end();
        addRow(g, l, 1);
      }
      g.end();
      g.get(pxEnd).set(px);
      g.inc(i, 1);
    },
  );
  f.get(changed);
  return f;
}

/**
 * potential(x, d, rows, point, closest, update) → Σᵢ min(closestᵢ, |xᵢ − point|²) over rows [0, rows) of x [rows, d];
 * with update ≠ 0 the minimum is also written back to closest (k-means++ seeding).
 */
export function potential(): FunctionBuilder {
  const f = new FunctionBuilder('potential', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], ['f64']);
  const [X, D, ROWS, POINT, CLOSEST, UPDATE] = f.params(6);
  const [px, pp, pairEnd, rowEnd, pcl, clEnd] = f.locals('i32', 6);
  const [total, dist, u] = f.locals('f64', 3);
  const [acc, v] = f.locals('v128', 2);
  f.get(X).set(px).get(CLOSEST).set(pcl).f64(0).set(total);
  f.get(CLOSEST).get(ROWS).i32(3).shl().add().set(clEnd);
  f.while(
    (g) => g.get(pcl).get(clEnd).ltU(),
    (g) => {
      g.get(px).get(D).i32(3).shl().add().set(rowEnd);
      g.get(px).get(D).i32(-2).and().i32(3).shl().add().set(pairEnd);
      g.v128Zero().set(acc).get(POINT).set(pp);
      g.while(
        (h) => h.get(px).get(pairEnd).ltU(),
        (h) => {
          h.get(px).v128Load().get(pp).v128Load().vsub().set(v);
          h.get(acc).get(v).get(v).vmul().vadd().set(acc);
          h.inc(px, 16).inc(pp, 16);
        },
      );
      g.get(acc).lane(0).get(acc).lane(1).fadd().set(dist);
      g.get(px).get(rowEnd).ltU().if();
      g.get(px).f64Load().get(pp).f64Load().fsub().set(u);
      g.get(dist).get(u).get(u).fmul().fadd().set(dist);
      g.end();
      g.get(rowEnd).set(px);
      g.get(dist).get(pcl).f64Load().flt().if();
      g.get(UPDATE).if().get(pcl).get(dist).f64Store().end();
      g.else();
      g.get(pcl).f64Load().set(dist);
      g.end();
      g.get(total).get(dist).fadd().set(total);
      g.inc(pcl, 8);
    },
  );
  f.get(total);
  return f;
}
