/**
 * A tiny WebAssembly assembler: enough of the binary format (types, one imported memory, functions, exports) and of
 * the instruction set (i32 and f64 scalars, f64x2 SIMD, structured control) to write the EM kernels in TypeScript and
 * compile them at load time — no toolchain, no binary blob in the repository. Spec: https://webassembly.github.io/spec/core/binary/
 */

export type ValType = 'i32' | 'f64' | 'v128';

const VALTYPE: Record<ValType, number> = { i32: 0x7f, f64: 0x7c, v128: 0x7b };

function uleb(n: number, out: number[]): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function utf8(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  out.push(...bytes);
}

/** A local variable (or parameter) index, typed for readability. */
export type Local = number & { readonly __local: unique symbol };

/** A tuple of N elements of type T. */
export type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [...R, T]>;

/** One function body under construction. Instruction methods append and return `this` for chaining. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];
  private readonly params_: ValType[];

  constructor(
    readonly name: string,
    params: ValType[],
    readonly results: ValType[] = [],
  ) {
    this.params_ = params;
  }

  get paramTypes(): readonly ValType[] {
    return this.params_;
  }

  /** The first `count` parameters, in order (destructure them: `const [x, n] = f.params(2)`). */
  params<N extends number>(count: N): Tuple<Local, N> {
    return Array.from({ length: count }, (_, i) => i as Local) as Tuple<Local, N>;
  }

  /** `count` new locals of type t. */
  locals<N extends number>(t: ValType, count: N): Tuple<Local, N> {
    return Array.from({ length: count }, () => this.local(t)) as Tuple<Local, N>;
  }

  /** A new local of type t. */
  local(t: ValType): Local {
    this.localTypes.push(t);
    return (this.params_.length + this.localTypes.length - 1) as Local;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...rest: number[]): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    this.code.push(...rest);
    return this;
  }

  private memarg(align: number, offset: number): number[] {
    const out: number[] = [];
    uleb(align, out);
    uleb(offset, out);
    return out;
  }

  // variables
  get(l: Local): this {
    this.code.push(0x20);
    uleb(l, this.code);
    return this;
  }
  set(l: Local): this {
    this.code.push(0x21);
    uleb(l, this.code);
    return this;
  }
  tee(l: Local): this {
    this.code.push(0x22);
    uleb(l, this.code);
    return this;
  }

  // i32
  i32(v: number): this {
    this.code.push(0x41);
    sleb(v | 0, this.code);
    return this;
  }
  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  shl(): this {
    return this.op(0x74);
  }
  and(): this {
    return this.op(0x71);
  }
  eqz(): this {
    return this.op(0x45);
  }
  eq(): this {
    return this.op(0x46);
  }
  ne(): this {
    return this.op(0x47);
  }
  ltS(): this {
    return this.op(0x48);
  }
  gtS(): this {
    return this.op(0x4a);
  }
  leS(): this {
    return this.op(0x4c);
  }
  ltU(): this {
    return this.op(0x49);
  }
  leU(): this {
    return this.op(0x4d);
  }
  geS(): this {
    return this.op(0x4e);
  }

  // f64
  f64(v: number): this {
    this.code.push(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    this.code.push(...b);
    return this;
  }
  f64Load(offset = 0): this {
    return this.op(0x2b, ...this.memarg(3, offset));
  }
  f64Store(offset = 0): this {
    return this.op(0x39, ...this.memarg(3, offset));
  }
  fadd(): this {
    return this.op(0xa0);
  }
  fsub(): this {
    return this.op(0xa1);
  }
  fmul(): this {
    return this.op(0xa2);
  }
  feq(): this {
    return this.op(0x61);
  }
  flt(): this {
    return this.op(0x63);
  }
  fgt(): this {
    return this.op(0x64);
  }
  fle(): this {
    return this.op(0x65);
  }
  fmax(): this {
    return this.op(0xa5);
  }
  fsqrt(): this {
    return this.op(0x9f);
  }
  fdiv(): this {
    return this.op(0xa3);
  }
  /** f64.nearest: round to nearest, ties to even. */
  fnearest(): this {
    return this.op(0x9e);
  }
  /** i32.trunc_f64_s */
  truncToI32(): this {
    return this.op(0xaa);
  }
  /** i64.extend_i32_s */
  extendToI64(): this {
    return this.op(0xac);
  }
  i64(v: number): this {
    this.code.push(0x42);
    sleb(v, this.code);
    return this;
  }
  i64Add(): this {
    return this.op(0x7c);
  }
  i64Shl(): this {
    return this.op(0x86);
  }
  /** f64.reinterpret_i64 */
  reinterpretF64(): this {
    return this.op(0xbf);
  }
  i32Load(offset = 0): this {
    return this.op(0x28, ...this.memarg(2, offset));
  }
  i32Store(offset = 0): this {
    return this.op(0x36, ...this.memarg(2, offset));
  }

  // f64x2 SIMD
  v128Load(offset = 0): this {
    return this.simd(0x00, ...this.memarg(4, offset));
  }
  /** Loads one f64 and splats it to both lanes (v128.load64_splat). */
  v128LoadSplat(offset = 0): this {
    return this.simd(0x0a, ...this.memarg(3, offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, ...this.memarg(4, offset));
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  splat(): this {
    return this.simd(0x14);
  }
  lane(i: 0 | 1): this {
    return this.simd(0x21, i);
  }
  vadd(): this {
    return this.simd(0xf0);
  }
  vsub(): this {
    return this.simd(0xf1);
  }
  vmul(): this {
    return this.simd(0xf2);
  }
  vmax(): this {
    return this.simd(0xf5);
  }
  /** f64x2.ge: all-ones lanes where a ≥ b. */
  vge(): this {
    return this.simd(0x4c);
  }
  /** f64x2.gt: all-ones lanes where a > b. */
  vgt(): this {
    return this.simd(0x4a);
  }
  /** v128.any_true: 1 when any bit is set. */
  anyTrue(): this {
    return this.simd(0x53);
  }
  vnearest(): this {
    return this.simd(0x94);
  }
  vand(): this {
    return this.simd(0x4e);
  }
  i64x2Add(): this {
    return this.simd(0xce);
  }
  i64x2Sub(): this {
    return this.simd(0xd1);
  }
  /** i64x2.shl by an i32 count from the stack. */
  i64x2Shl(): this {
    return this.simd(0xcb);
  }
  /** v128.const of two f64 lanes. */
  v128F64(a: number, b = a): this {
    return this.simd(0x0c, ...new Uint8Array(new Float64Array([a, b]).buffer));
  }
  /** v128.const of two i64 lanes. */
  v128I64(a: bigint, b = a): this {
    return this.simd(0x0c, ...new Uint8Array(new BigInt64Array([a, b]).buffer));
  }

  // control
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    this.code.push(0x0c);
    uleb(depth, this.code);
    return this;
  }
  brIf(depth: number): this {
    this.code.push(0x0d);
    uleb(depth, this.code);
    return this;
  }

  /** `l += step` for an i32 local and a constant step. */
  inc(l: Local, step = 1): this {
    return this.get(l).i32(step).add().set(l);
  }

  /** `l += by` for i32 locals. */
  incBy(l: Local, by: Local): this {
    return this.get(l).get(by).add().set(l);
  }

  /**
   * `while (cond) { body }` where `cond` pushes an i32: block { loop { br_if 1 (!cond); body; br 0 } }.
   * Inside body, depth 0 is the loop (continue) and depth 1 the block (break).
   */
  while(cond: (f: this) => void, body: (f: this) => void): this {
    this.block().loop();
    cond(this);
    this.eqz().brIf(1);
    body(this);
    this.br(0).end().end();
    return this;
  }

  /** The function body: locals then code. */
  body(): number[] {
    const out: number[] = [];
    // group consecutive locals of the same type
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(groups.length, out);
    for (const [count, t] of groups) {
      uleb(count, out);
      out.push(VALTYPE[t]);
    }
    out.push(...this.code, 0x0b);
    const sized: number[] = [];
    uleb(out.length, sized);
    return [...sized, ...out];
  }
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  out.push(...content);
}

/** A module importing one memory as env.memory and exporting every function by its name. */
export function assembleModule(functions: FunctionBuilder[]): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    uleb(f.paramTypes.length, types);
    for (const t of f.paramTypes) types.push(VALTYPE[t]);
    uleb(f.results.length, types);
    for (const t of f.results) types.push(VALTYPE[t]);
  }
  section(1, types, out);
  const imports: number[] = [];
  uleb(1, imports);
  utf8('env', imports);
  utf8('memory', imports);
  imports.push(0x02, 0x00); // memory, limits: min only
  uleb(1, imports);
  section(2, imports, out);
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, i) => uleb(i, funcs));
  section(3, funcs, out);
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach((f, i) => {
    utf8(f.name, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports, out);
  const code: number[] = [];
  uleb(functions.length, code);
  for (const f of functions) code.push(...f.body());
  section(10, code, out);
  return new Uint8Array(out);
}
