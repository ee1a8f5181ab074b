/**
 * EM kernels (WebAssembly f64x2 SIMD, generated with assembler.ts): the E-step Mahalanobis terms and the M-step sums
 * for matrix covariances, and both steps for diagonal ones. Each computes what its TypeScript twin in ../kernels.ts
 * or ../cov-diag.ts computes (equal to rounding), without bounds checks and two doubles per instruction. Pointers are
 * byte offsets into the imported memory.
 */
import { FunctionBuilder, type Local } from './assembler.js';

/**
 * mahalanobis4(x, d, rows, means, w, base, out, outStride, diff4): for rows [0, rows) of x [rows, d] (rows a multiple
 * of 4), out[i · outStride] = base − ½ |W (xᵢ − μ)|² with W packed lower at w. Works two rows of W at a time over four
 * data rows (lanes hold rows 0,1 and 2,3): per loaded W pair, eight multiply-adds.
 */
export function mahalanobis4(): FunctionBuilder {
  const f = new FunctionBuilder('mahalanobis4', ['i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'i32', 'i32', 'i32']);
  const [X, D, ROWS, MEANS, W, BASE, OUT, OSTRIDE, DIFF] = f.params(9);
  const row = f.local('i32');
  const xp = f.local('i32'); // first of the four rows
  const pa = f.local('i32'); // x pointer inside the row
  const pm = f.local('i32'); // means pointer
  const t = f.local('i32'); // diff4 pointer
  const tEnd = f.local('i32');
  const d1 = f.local('i32'); // row stride in bytes
  const d2 = f.local('i32');
  const d3 = f.local('i32');
  const osb = f.local('i32'); // out stride in bytes
  const op = f.local('i32');
  const j = f.local('i32');
  const r = f.local('i32'); // start of W row j
  const r1 = f.local('i32'); // start of W row j + 1
  const pr = f.local('i32');
  const pr1 = f.local('i32');
  const mv = f.local('f64');
  const [s01, s23, u01, u23, q01, q23, lv, mvv, e01, e23] = f.locals('v128', 10);

  f.get(D).i32(3).shl().set(d1);
  f.get(d1).get(d1).add().set(d2);
  f.get(d2).get(d1).add().set(d3);
  f.get(OSTRIDE).i32(3).shl().set(osb);
  f.get(DIFF).get(D).i32(5).shl().add().set(tEnd); // diff4 + 32 d
  f.i32(0).set(row).get(X).set(xp).get(OUT).set(op);
  f.while(
    (g) => g.get(row).i32(4).add().get(ROWS).leS(),
    (g) => {
      // diff4[a] = (x0[a] − μa, x1[a] − μa, x2[a] − μa, x3[a] − μa)
      g.get(xp).set(pa).get(MEANS).set(pm).get(DIFF).set(t);
      g.while(
        (h) => h.get(t).get(tEnd).ltU(),
        (h) => {
          h.get(pm).f64Load().set(mv);
          h.get(t).get(pa).f64Load().get(mv).fsub().f64Store(0);
          h.get(t).get(pa).get(d1).add().f64Load().get(mv).fsub().f64Store(8);
          h.get(t).get(pa).get(d2).add().f64Load().get(mv).fsub().f64Store(16);
          h.get(t).get(pa).get(d3).add().f64Load().get(mv).fsub().f64Store(24);
          h.inc(t, 32).inc(pa, 8).inc(pm, 8);
        },
      );
      g.v128Zero().set(q01).v128Zero().set(q23);
      g.get(W).set(r).i32(0).set(j);
      // two rows of W at a time
      g.while(
        (h) => h.get(j).i32(2).add().get(D).leS(),
        (h) => {
          h.get(r).get(j).i32(1).add().i32(3).shl().add().set(r1); // r1 = r + (j + 1)·8
          h.v128Zero().set(s01).v128Zero().set(s23).v128Zero().set(u01).v128Zero().set(u23);
          h.get(r).set(pr).get(r1).set(pr1).get(DIFF).set(t);
          h.while(
            (b) => b.get(pr).get(r1).ltU(),
            (b) => {
              b.get(pr).v128LoadSplat().set(lv);
              b.get(pr1).v128LoadSplat().set(mvv);
              b.get(t).v128Load(0).set(e01);
              b.get(t).v128Load(16).set(e23);
              b.get(s01).get(lv).get(e01).vmul().vadd().set(s01);
              b.get(s23).get(lv).get(e23).vmul().vadd().set(s23);
              b.get(u01).get(mvv).get(e01).vmul().vadd().set(u01);
              b.get(u23).get(mvv).get(e23).vmul().vadd().set(u23);
              b.inc(pr, 8).inc(pr1, 8).inc(t, 32);
            },
          );
          // the diagonal of row j + 1
          h.get(pr1).v128LoadSplat().set(mvv);
          h.get(u01).get(mvv).get(t).v128Load(0).vmul().vadd().set(u01);
          h.get(u23).get(mvv).get(t).v128Load(16).vmul().vadd().set(u23);
          h.get(pr1).i32(8).add().set(r);
          h.get(q01).get(s01).get(s01).vmul().get(u01).get(u01).vmul().vadd().vadd().set(q01);
          h.get(q23).get(s23).get(s23).vmul().get(u23).get(u23).vmul().vadd().vadd().set(q23);
          h.inc(j, 2);
        },
      );
      // odd D: the last row of W alone
      g.get(j).get(D).ltS().if();
      {
        g.v128Zero().set(s01).v128Zero().set(s23);
        g.get(r).set(pr).get(DIFF).set(t);
        g.get(r).get(j).i32(1).add().i32(3).shl().add().set(r1);
        g.while(
          (b) => b.get(pr).get(r1).ltU(),
          (b) => {
            b.get(pr).v128LoadSplat().set(lv);
            b.get(s01).get(lv).get(t).v128Load(0).vmul().vadd().set(s01);
            b.get(s23).get(lv).get(t).v128Load(16).vmul().vadd().set(s23);
            b.inc(pr, 8).inc(t, 32);
          },
        );
        g.get(q01).get(s01).get(s01).vmul().vadd().set(q01);
        g.get(q23).get(s23).get(s23).vmul().vadd().set(q23);
      }
      g.end();
      // out = base − ½ q
      g.get(op).get(BASE).f64(0.5).get(q01).lane(0).fmul().fsub().f64Store();
      g.get(op).get(osb).add().get(BASE).f64(0.5).get(q01).lane(1).fmul().fsub().f64Store();
      g.get(op).get(osb).i32(1).shl().add().get(BASE).f64(0.5).get(q23).lane(0).fmul().fsub().f64Store();
      g.get(op).get(osb).i32(1).shl().add().get(osb).add().get(BASE).f64(0.5).get(q23).lane(1).fmul().fsub().f64Store();
      g.get(op).get(osb).i32(2).shl().add().set(op);
      g.get(xp).get(d1).i32(2).shl().add().set(xp);
      g.inc(row, 4);
    },
  );
  return f;
}

/**
 * addLowerProduct(a, b, stride, n, d, out): out[i·d + j] += Σ_{c<n} a[i·stride + c] · b[j·stride + c] for j ≤ i, with
 * n even (pad with a zero column), in 2 × 2 tiles of f64x2 accumulators.
 */
export function addLowerProduct(): FunctionBuilder {
  const f = new FunctionBuilder('addLowerProduct', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [A, B, STRIDE, N, D, OUT] = f.params(6);
  const sb = f.local('i32'); // stride in bytes
  const nb = f.local('i32'); // n in bytes
  const db = f.local('i32'); // d in bytes (out row)
  const i = f.local('i32');
  const j = f.local('i32');
  const ai = f.local('i32');
  const bj = f.local('i32');
  const pa = f.local('i32');
  const pb = f.local('i32');
  const paEnd = f.local('i32');
  const o = f.local('i32');
  const [s00, s01, s10, s11, a0, a1, b0, b1] = f.locals('v128', 8);
  const hsumAddTo = (g: FunctionBuilder, addr: (h: FunctionBuilder) => void, s: Local) => {
    addr(g);
    addr(g);
    g.f64Load().get(s).lane(0).get(s).lane(1).fadd().fadd().f64Store();
  };
  f.get(STRIDE).i32(3).shl().set(sb);
  f.get(N).i32(3).shl().set(nb);
  f.get(D).i32(3).shl().set(db);
  f.i32(0).set(i);
  f.while(
    (g) => g.get(i).get(D).ltS(),
    (g) => {
      g.get(A).get(i).get(sb).mul().add().set(ai);
      g.i32(0).set(j);
      g.while(
        (h) => h.get(j).get(i).leS(),
        (h) => {
          h.get(B).get(j).get(sb).mul().add().set(bj);
          h.get(OUT).get(i).get(D).mul().get(j).add().i32(3).shl().add().set(o);
          h.get(ai).set(pa).get(bj).set(pb).get(ai).get(nb).add().set(paEnd);
          h.get(i).i32(1).add().get(D).ltS().if();
          {
            // two rows (i, i+1) × two columns (j, j+1)
            h.v128Zero().set(s00).v128Zero().set(s01).v128Zero().set(s10).v128Zero().set(s11);
            h.while(
              (b) => b.get(pa).get(paEnd).ltU(),
              (b) => {
                b.get(pa).v128Load().set(a0);
                b.get(pa).get(sb).add().v128Load().set(a1);
                b.get(pb).v128Load().set(b0);
                b.get(pb).get(sb).add().v128Load().set(b1);
                b.get(s00).get(a0).get(b0).vmul().vadd().set(s00);
                b.get(s01).get(a0).get(b1).vmul().vadd().set(s01);
                b.get(s10).get(a1).get(b0).vmul().vadd().set(s10);
                b.get(s11).get(a1).get(b1).vmul().vadd().set(s11);
                b.inc(pa, 16).inc(pb, 16);
              },
            );
            hsumAddTo(h, (x) => x.get(o), s00);
            h.get(j).get(i).ltS().if();
            hsumAddTo(h, (x) => x.get(o).i32(8).add(), s01);
            h.end();
            hsumAddTo(h, (x) => x.get(o).get(db).add(), s10);
            hsumAddTo(h, (x) => x.get(o).get(db).add().i32(8).add(), s11);
          }
          h.else();
          {
            // last row of an odd d: one row; a second column unless j is the diagonal
            h.v128Zero().set(s00).v128Zero().set(s01);
            h.get(j).get(i).ltS().if();
            h.while(
              (b) => b.get(pa).get(paEnd).ltU(),
              (b) => {
                b.get(pa).v128Load().set(a0);
                b.get(s00).get(a0).get(pb).v128Load().vmul().vadd().set(s00);
                b.get(s01).get(a0).get(pb).get(sb).add().v128Load().vmul().vadd().set(s01);
                b.inc(pa, 16).inc(pb, 16);
              },
            );
            hsumAddTo(h, (x) => x.get(o).i32(8).add(), s01);
            h.else();
            h.while(
              (b) => b.get(pa).get(paEnd).ltU(),
              (b) => {
                b.get(s00).get(pa).v128Load().get(pb).v128Load().vmul().vadd().set(s00);
                b.inc(pa, 16).inc(pb, 16);
              },
            );
            h.end();
            hsumAddTo(h, (x) => x.get(o), s00);
          }
          h.end();
          h.inc(j, 2);
        },
      );
      g.inc(i, 2);
    },
  );
  return f;
}

/**
 * gather(x, d, rows, resp, kCount, shift, diffT, weightedT, stride, nk, sum) → count: for rows [0, rows) of x with
 * resp[i · kCount] ≠ 0 (resp points at component k's column), writes the c-th such row's x − shift to
 * diffT[a · stride + c] and r · (x − shift) to weightedT[…]; adds Σ r to *nk and Σ r (x − shift) to sum[0 … d).
 */
export function gather(): FunctionBuilder {
  const f = new FunctionBuilder('gather', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], ['i32']);
  const [X, D, ROWS, RESP, KCOUNT, SHIFT, DIFF, WEIGHTED, STRIDE, NK, SUM] = f.params(11);
  const [row, c, pr, rstep, px, ps, pd, pw, sb, a, end] = f.locals('i32', 11);
  const [r, v, mass] = f.locals('f64', 3);
  const acc = f.local('v128');
  f.get(KCOUNT).i32(3).shl().set(rstep);
  f.get(STRIDE).i32(3).shl().set(sb);
  f.get(RESP).set(pr).get(X).set(px);
  f.i32(0).set(row).i32(0).set(c).f64(0).set(mass);
  f.while(
    (g) => g.get(row).get(ROWS).ltS(),
    (g) => {
      g.get(pr).f64Load().tee(r).f64(0).feq().eqz().if();
      {
        g.get(mass).get(r).fadd().set(mass);
        g.get(DIFF).get(c).i32(3).shl().add().set(pd);
        g.get(WEIGHTED).get(c).i32(3).shl().add().set(pw);
        g.get(SHIFT).set(ps);
        g.get(px).get(D).i32(3).shl().add().set(end);
        g.while(
          (h) => h.get(px).get(end).ltU(),
          (h) => {
            h.get(px).f64Load().get(ps).f64Load().fsub().set(v);
            h.get(pd).get(v).f64Store();
            h.get(pw).get(r).get(v).fmul().f64Store();
            h.inc(px, 8).inc(ps, 8).incBy(pd, sb).incBy(pw, sb);
          },
        );
        g.inc(c, 1);
      }
      g.else();
      g.get(px).get(D).i32(3).shl().add().set(px);
      g.end();
      g.incBy(pr, rstep).inc(row, 1);
    },
  );
  f.get(NK).get(NK).f64Load().get(mass).fadd().f64Store();
  // sum[a] += Σ_c weighted[a · stride + c], two lanes at a time (the odd last one alone)
  f.i32(0).set(a);
  f.while(
    (g) => g.get(a).get(D).ltS(),
    (g) => {
      g.get(WEIGHTED).get(a).get(sb).mul().add().set(pw);
      g.get(pw).get(c).i32(3).shl().add().set(end);
      g.v128Zero().set(acc);
      g.while(
        (h) => h.get(pw).i32(16).add().get(end).leU(),
        (h) => {
          h.get(acc).get(pw).v128Load().vadd().set(acc);
          h.inc(pw, 16);
        },
      );
      g.get(SUM).get(a).i32(3).shl().add().set(ps);
      g.get(ps).get(ps).f64Load().get(acc).lane(0).get(acc).lane(1).fadd().fadd().f64Store();
      g.get(pw).get(end).ltU().if();
      g.get(ps).get(ps).f64Load().get(pw).f64Load().fadd().f64Store();
      g.end();
      g.inc(a, 1);
    },
  );
  f.get(c);
  return f;
}

/**
 * transposeBlock(x, d, rows, xT, stride): xT[a · stride + c] = x[c · d + a] for rows c < rows of x [rows, d]; with
 * odd rows, column `rows` of xT is zeroed (a pad that keeps f64x2 pairs whole).
 */
export function transposeBlock(): FunctionBuilder {
  const f = new FunctionBuilder('transposeBlock', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [X, D, ROWS, XT, STRIDE] = f.params(5);
  const [c, a, px, pt, sb] = f.locals('i32', 5);
  f.get(STRIDE).i32(3).shl().set(sb);
  f.get(X).set(px).i32(0).set(c);
  f.while(
    (g) => g.get(c).get(ROWS).ltS(),
    (g) => {
      g.get(XT).get(c).i32(3).shl().add().set(pt).i32(0).set(a);
      g.while(
        (h) => h.get(a).get(D).ltS(),
        (h) => {
          h.get(pt).get(px).f64Load().f64Store();
          h.inc(px, 8).incBy(pt, sb).inc(a, 1);
        },
      );
      g.inc(c, 1);
    },
  );
  f.get(ROWS).i32(1).and().if();
  {
    f.get(XT).get(ROWS).i32(3).shl().add().set(pt).i32(0).set(a);
    f.while(
      (h) => h.get(a).get(D).ltS(),
      (h) => {
        h.get(pt).f64(0).f64Store();
        h.incBy(pt, sb).inc(a, 1);
      },
    );
  }
  f.end();
  return f;
}

/**
 * column(resp, kCount, rows, rk) → nonzeros: rk[c] = resp[c · kCount] for c < rows (component k's responsibilities,
 * resp pointing at its column), rk[rows] = 0 when rows is odd; returns how many are nonzero.
 */
export function column(): FunctionBuilder {
  const f = new FunctionBuilder('column', ['i32', 'i32', 'i32', 'i32'], ['i32']);
  const [RESP, KCOUNT, ROWS, RK] = f.params(4);
  const [c, pr, pk, nz, step] = f.locals('i32', 5);
  const r = f.local('f64');
  f.get(KCOUNT).i32(3).shl().set(step);
  f.get(RESP).set(pr).get(RK).set(pk).i32(0).set(c).i32(0).set(nz);
  f.while(
    (g) => g.get(c).get(ROWS).ltS(),
    (g) => {
      g.get(pk).get(pr).f64Load().tee(r).f64Store();
      g.get(r).f64(0).feq().eqz().if().inc(nz, 1).end();
      g.incBy(pr, step).inc(pk, 8).inc(c, 1);
    },
  );
  f.get(ROWS).i32(1).and().if().get(pk).f64(0).f64Store().end();
  f.get(nz);
  return f;
}

/**
 * prepareDense(xT, d, n, stride, rk, shift, diffT, weightedT, nk, sum): for all n (even) columns of the block,
 * diffT[a, c] = xT[a, c] − shiftₐ and weightedT[a, c] = rk[c] · diffT[a, c] (rows with r = 0 add exact zeros), and
 * adds Σ rk to *nk and Σ_c weightedT[a, c] to sum[a]. Two columns per instruction.
 */
export function prepareDense(): FunctionBuilder {
  const f = new FunctionBuilder('prepareDense', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [XT, D, N, STRIDE, RK, SHIFT, DIFF, WEIGHTED, NK, SUM] = f.params(10);
  const [a, off, end, pk, sb] = f.locals('i32', 5);
  const [s, v, w, acc] = f.locals('v128', 4);
  f.get(STRIDE).i32(3).shl().set(sb);
  // mass
  f.v128Zero().set(acc).get(RK).set(pk).get(RK).get(N).i32(3).shl().add().set(end);
  f.while(
    (g) => g.get(pk).get(end).ltU(),
    (g) => {
      g.get(acc).get(pk).v128Load().vadd().set(acc);
      g.inc(pk, 16);
    },
  );
  f.get(NK).get(NK).f64Load().get(acc).lane(0).get(acc).lane(1).fadd().fadd().f64Store();
  f.i32(0).set(a);
  f.while(
    (g) => g.get(a).get(D).ltS(),
    (g) => {
      g.get(SHIFT).get(a).i32(3).shl().add().v128LoadSplat().set(s);
      g.get(a).get(sb).mul().set(off);
      g.get(off).get(N).i32(3).shl().add().set(end);
      g.v128Zero().set(acc).get(RK).set(pk);
      g.while(
        (h) => h.get(off).get(end).ltU(),
        (h) => {
          h.get(XT).get(off).add().v128Load().get(s).vsub().set(v);
          h.get(DIFF).get(off).add().get(v).v128Store();
          h.get(v).get(pk).v128Load().vmul().set(w);
          h.get(WEIGHTED).get(off).add().get(w).v128Store();
          h.get(acc).get(w).vadd().set(acc);
          h.inc(off, 16).inc(pk, 16);
        },
      );
      g.get(SUM).get(a).i32(3).shl().add().tee(off).get(off).f64Load().get(acc).lane(0).get(acc).lane(1).fadd().fadd().f64Store();
      g.inc(a, 1);
    },
  );
  return f;
}

/**
 * diagLogDensities(x, d, rows, means, w, bases, kCount, out): out[i · kCount + k] = bases[k] − ½ Σₐ ((xᵢₐ − μₖₐ) wₖₐ)²
 * for rows [0, rows) of x [rows, d], means and w [kCount, d] (w = 1/σ; spherical types repeat theirs over a).
 */
export function diagLogDensities(): FunctionBuilder {
  const f = new FunctionBuilder('diagLogDensities', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [X, D, ROWS, MEANS, W, BASES, KCOUNT, OUT] = f.params(8);
  const [i, k, px, pairEnd, rowEnd, pm, pw, po, db] = f.locals('i32', 9);
  const [q, u] = f.locals('f64', 2);
  const [acc, v] = f.locals('v128', 2);
  f.get(D).i32(3).shl().set(db);
  f.i32(0).set(i).get(OUT).set(po);
  f.while(
    (g) => g.get(i).get(ROWS).ltS(),
    (g) => {
      g.i32(0).set(k).get(MEANS).set(pm).get(W).set(pw);
      g.while(
        (h) => h.get(k).get(KCOUNT).ltS(),
        (h) => {
          h.get(X).get(i).get(db).mul().add().tee(px).get(db).add().set(rowEnd);
          h.get(px).get(D).i32(-2).and().i32(3).shl().add().set(pairEnd);
          h.v128Zero().set(acc);
          h.while(
            (b) => b.get(px).get(pairEnd).ltU(),
            (b) => {
              b.get(px).v128Load().get(pm).v128Load().vsub().get(pw).v128Load().vmul().set(v);
              b.get(acc).get(v).get(v).vmul().vadd().set(acc);
              b.inc(px, 16).inc(pm, 16).inc(pw, 16);
            },
          );
          h.get(acc).lane(0).get(acc).lane(1).fadd().set(q);
          h.get(px).get(rowEnd).ltU().if();
          h.get(px).f64Load().get(pm).f64Load().fsub().get(pw).f64Load().fmul().set(u);
          h.get(q).get(u).get(u).fmul().fadd().set(q);
          h.inc(pm, 8).inc(pw, 8);
          h.end();
          h.get(po).get(BASES).get(k).i32(3).shl().add().f64Load().f64(0.5).get(q).fmul().fsub().f64Store();
          h.inc(po, 8).inc(k, 1);
        },
      );
      g.inc(i, 1);
    },
  );
  return f;
}

/**
 * diagAccumulate(x, d, rows, resp, kCount, shift, nk, sum, second): for rows [0, rows) of x and every component k
 * with r = resp[i · kCount + k] ≠ 0: nk[k] += r, sum[k, a] += r (xₐ − shiftₖₐ), second[k, a] += r (xₐ − shiftₖₐ)².
 */
export function diagAccumulate(): FunctionBuilder {
  const f = new FunctionBuilder('diagAccumulate', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [X, D, ROWS, RESP, KCOUNT, SHIFT, NK, SUM, SECOND] = f.params(9);
  const [i, k, px, pairEnd, rowEnd, ps, psum, psec, pr, db] = f.locals('i32', 10);
  const [r, u, ru] = f.locals('f64', 3);
  const [rv, v, w] = f.locals('v128', 3);
  f.get(D).i32(3).shl().set(db);
  f.i32(0).set(i).get(RESP).set(pr);
  f.while(
    (g) => g.get(i).get(ROWS).ltS(),
    (g) => {
      g.i32(0).set(k);
      g.while(
        (h) => h.get(k).get(KCOUNT).ltS(),
        (h) => {
          h.get(pr).f64Load().tee(r).f64(0).feq().eqz().if();
          {
            h.get(NK).get(k).i32(3).shl().add().tee(ps).get(ps).f64Load().get(r).fadd().f64Store();
            h.get(X).get(i).get(db).mul().add().tee(px).get(db).add().set(rowEnd);
            h.get(px).get(D).i32(-2).and().i32(3).shl().add().set(pairEnd);
            h.get(k).get(db).mul().tee(ps).get(SUM).add().set(psum);
            h.get(ps).get(SECOND).add().set(psec);
            h.get(ps).get(SHIFT).add().set(ps);
            h.get(r).splat().set(rv);
            h.while(
              (b) => b.get(px).get(pairEnd).ltU(),
              (b) => {
                b.get(px).v128Load().get(ps).v128Load().vsub().set(v);
                b.get(rv).get(v).vmul().set(w);
                b.get(psum).get(psum).v128Load().get(w).vadd().v128Store();
                b.get(psec).get(psec).v128Load().get(w).get(v).vmul().vadd().v128Store();
                b.inc(px, 16).inc(ps, 16).inc(psum, 16).inc(psec, 16);
              },
            );
            h.get(px).get(rowEnd).ltU().if();
            h.get(px).f64Load().get(ps).f64Load().fsub().set(u);
            h.get(r).get(u).fmul().set(ru);
            h.get(psum).get(psum).f64Load().get(ru).fadd().f64Store();
            h.get(psec).get(psec).f64Load().get(ru).get(u).fmul().fadd().f64Store();
            h.end();
          }
          h.end();
          h.inc(pr, 8).inc(k, 1);
        },
      );
      g.inc(i, 1);
    },
  );
  return f;
}
