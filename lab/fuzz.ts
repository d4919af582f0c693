// A small seeded fuzzer for every decoder of outside bytes (test/*/fuzz-*.test.ts). Inputs are mutations of valid
// samples: bit flips, truncation, splicing two samples, huge and inexact numbers, deep nesting, prototype keys
// (`__proto__`, `constructor`, `prototype`), wrong types, long strings, many keys. The property every decoder must
// hold, checked after each case: it returns a value or throws the project's clear error (core/errors.ts, or the
// decoder's own documented refusal), never a TypeError or RangeError; it never changes Object.prototype (or Array's
// or Function's); and no one case runs long enough to be a hang. A failure names the seed and the case, so
// `FUZZ_SEED=<seed> FUZZ_CASES=<case+1>` replays it. The suite runs a bounded number of cases; `FUZZ_CASES=1000000`
// (or `npm run check:fuzz`) runs a longer one.
import type { Test } from 'tap';
import { seeded } from './schema-documents.js';

/** Cases for a run: `FUZZ_CASES` when set, else the file's bounded default. */
export function fuzzCases(suiteDefault: number): number {
  const v = Number(process.env.FUZZ_CASES);
  return Number.isSafeInteger(v) && v > 0 ? v : suiteDefault;
}

/** The seed of a run: `FUZZ_SEED` when set, else the file's fixed one (so the suite is the same every time). */
export function fuzzSeed(fileDefault: number): number {
  const v = Number(process.env.FUZZ_SEED);
  return Number.isSafeInteger(v) ? v : fileDefault;
}

/** Keys that reach a prototype when an object is merged or assigned carelessly. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Text fragments that break a JSON document in a way random bytes seldom do. */
const NUMBERS = ['1e308', '-1e308', '1e400', '9007199254740993', '-0', '0.1e-400', '1'.repeat(400), '18446744073709551616', '3.5', '-1'];
const WRONG = ['null', 'true', '"x"', '[]', '{}', '0', '""', '[null]', '{"a":{}}'];

export class Mutator {
  readonly rand: () => number;
  constructor(seed: number) {
    this.rand = seeded(seed);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)];
  }

  /** A JSON text: a valid sample changed as a value (types, keys, sizes) or as text (bytes, cuts, splices). */
  json(samples: readonly unknown[]): string {
    const base = this.pick(samples);
    const r = this.rand();
    if (r < 0.55) return this.jsonValue(base);
    if (r < 0.9) return this.text(JSON.stringify(base), samples.map((s) => JSON.stringify(s)));
    return this.text(this.jsonValue(base), samples.map((s) => JSON.stringify(s))); // both
  }

  /** One to three value-level changes, written out as text (a `__proto__` key stays an own key in the text). */
  jsonValue(base: unknown): string {
    // Each change puts a mark where it goes and its text aside; the marks are replaced once at the end, so a
    // 5,000-deep insert is never parsed or stringified by the fuzzer itself.
    let v = structuredClone(base);
    const inserts: string[] = [];
    for (let n = this.int(1, 3); n > 0; n--) {
      const spot = this.pick(nodes(v));
      const mark = `\u0000FUZZ${inserts.length}\u0000`;
      inserts.push(this.oneValueChange(spot));
      v = setAt(v, spot.path, mark);
    }
    let text = JSON.stringify(v);
    for (let i = inserts.length - 1; i >= 0; i--) text = text.replace(JSON.stringify(`\u0000FUZZ${i}\u0000`), () => inserts[i]);
    return text;
  }

  /** The text that takes `spot`'s place. */
  private oneValueChange(spot: Spot): string {
    switch (this.int(0, 8)) {
      case 0: return this.pick(WRONG);
      case 1: return this.pick(NUMBERS);
      case 2: return JSON.stringify('x'.repeat(this.pick([256, 4096, 70_000])));
      case 3: { const d = this.pick([65, 200, 5000]); return '['.repeat(d) + '1' + ']'.repeat(d); }
      case 4: { const d = this.pick([65, 300]); return '{"a":'.repeat(d) + '1' + '}'.repeat(d); }
      case 5: return JSON.stringify(this.pick(['', 'ộ\u0301', '\ud800', '\u0000', '😀'.repeat(40), 'a\nb', '%s%n', '../..']));
      case 6: { // many keys
        const n = this.pick([100, 2000, 5000]);
        return `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`;
      }
      default: { // a prototype key, or an extra one, added into an object (or in place of a value, an object holding it)
        const key = this.pick([...PROTO_KEYS, ...PROTO_KEYS, 'toString', 'hasOwnProperty', 'extra']);
        const payload = this.pick(['{"polluted":true}', '{"prototype":{"polluted":true}}', '1', '"x"', 'null']);
        const inner = isObject(spot.value) ? JSON.stringify(spot.value).slice(1, -1) : '';
        return `{${inner ? `${inner},` : ''}${JSON.stringify(key)}:${payload}}`;
      }
    }
  }

  /** Text-level changes: flips, cuts, splices, duplicated keys and stray bytes. */
  text(s: string, others: readonly string[] = [s]): string {
    const k = this.int(0, 5);
    const at = this.int(0, s.length);
    switch (k) {
      case 0: { // flip one to four bits of one to four characters
        const cs = [...s];
        for (let n = this.int(1, 4); n > 0 && cs.length > 0; n--) {
          const i = this.int(0, cs.length - 1);
          cs[i] = String.fromCharCode(cs[i].charCodeAt(0) ^ (1 << this.int(0, 7)));
        }
        return cs.join('');
      }
      case 1: return s.slice(0, at);
      case 2: { const o = this.pick(others); return s.slice(0, at) + o.slice(this.int(0, o.length)); }
      case 3: return s.slice(0, at) + this.pick([...WRONG, ...NUMBERS, ',', ':', '"', '\\', '{', '[', '\u0000', '\ufeff']) + s.slice(at);
      case 4: return s.replace(/"([^"\\]+)":/, '"$1":1,"$1":'); // the first key twice
      default: return s.slice(0, at) + s.slice(at).replace(/\d+/, this.pick(NUMBERS));
    }
  }

  /** Bytes: a valid sample flipped, cut, spliced, repeated, or random bytes biased towards `bias`. */
  bytes(samples: readonly Buffer[], bias: readonly number[] = [0xff, 0x00]): Buffer {
    const base = this.pick(samples);
    const k = this.int(0, 5);
    const at = this.int(0, base.length);
    switch (k) {
      case 0: {
        const b = Buffer.from(base);
        for (let n = this.int(1, 3); n > 0 && b.length > 0; n--) b[this.int(0, b.length - 1)] ^= 1 << this.int(0, 7);
        return b;
      }
      case 1: return base.subarray(0, at);
      case 2: { const o = this.pick(samples); return Buffer.concat([base.subarray(0, at), o.subarray(this.int(0, o.length))]); }
      case 3: return Buffer.concat(Array.from({ length: this.int(2, 40) }, () => base));
      case 4: { const b = Buffer.from(base); if (b.length > 0) b[this.int(0, b.length - 1)] = this.pick([0x00, 0xff, 0x7f, 0x80]); return b; }
      default: {
        const b = Buffer.alloc(this.int(0, 48));
        for (let i = 0; i < b.length; i++) b[i] = this.rand() < 0.3 ? this.pick(bias) : this.int(0, 255);
        return b;
      }
    }
  }
}

interface Spot {
  path: Array<string | number>;
  value: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every node of a parsed JSON value with its path (iterative: the samples are small, but keep to no recursion). */
function nodes(root: unknown): Spot[] {
  const out: Spot[] = [];
  const stack: Spot[] = [{ path: [], value: root }];
  while (stack.length > 0) {
    const s = stack.pop()!;
    out.push(s);
    if (Array.isArray(s.value)) s.value.forEach((x, i) => stack.push({ path: [...s.path, i], value: x }));
    else if (isObject(s.value)) for (const [k, x] of Object.entries(s.value)) stack.push({ path: [...s.path, k], value: x });
  }
  return out;
}

/** `root` with the node at `path` replaced by `value` (a copy; the root itself when `path` is empty). */
function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  parent[path[path.length - 1]] = value;
  return copy;
}

/** What the prototypes hold, to see that a case changed none of them. */
function prototypesPicture(): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [name, proto] of [['Object', Object.prototype], ['Array', Array.prototype], ['Function', Function.prototype]] as const) {
    for (const k of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, k)!;
      m.set(`${name}.${String(k)}`, 'value' in d ? d.value : d.get);
    }
  }
  return m;
}

/** The prototype members a case added or changed; empty when none. */
function pollution(before: Map<string, unknown>): string[] {
  const after = prototypesPicture();
  const out: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) out.push(k);
  if ((({}) as Record<string, unknown>).polluted !== undefined) out.push('({}).polluted');
  return out;
}

export interface FuzzOptions<I> {
  /** What is fuzzed, for the test's name and failures. */
  name: string;
  seed: number;
  cases: number;
  /** Makes case `i`'s input. */
  make(m: Mutator, i: number): I;
  /** The decoder under test; its return value counts as accepted unless `accepted` says otherwise. */
  decode(input: I): unknown;
  /** Whether a thrown error is the decoder's clear refusal (a DiemcauError, by default). */
  refusal(err: unknown): boolean;
  accepted?(result: unknown): boolean;
  /** The input shown on failure (shortened). */
  show?(input: I): string;
}

export interface FuzzResult {
  cases: number;
  accepted: number;
  refused: number;
  slowestMs: number;
}

/** One case past this is a hang, not a slow machine: the slowest real case is a few ms even on a busy box. */
const HANG_MS = 2000;

/** Runs the cases; fails `t` (once, with the seed and case) on the first broken property. */
export async function fuzz<I>(t: Pick<Test, 'fail' | 'equal'>, o: FuzzOptions<I>): Promise<FuzzResult> {
  const m = new Mutator(o.seed);
  const before = prototypesPicture();
  const res: FuzzResult = { cases: 0, accepted: 0, refused: 0, slowestMs: 0 };
  const show = (input: I) => {
    const s = o.show ? o.show(input) : typeof input === 'string' ? JSON.stringify(input) : String(input);
    return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
  };
  for (let i = 0; i < o.cases; i++) {
    const input = o.make(m, i);
    const started = performance.now();
    try {
      const r = await o.decode(input);
      if (o.accepted ? o.accepted(r) : true) res.accepted++;
      else res.refused++;
    } catch (err) {
      if (!o.refusal(err)) {
        t.fail(`${o.name}: case ${i} (seed ${o.seed}) threw ${(err as Error)?.name}: ${(err as Error)?.message} on ${show(input)}`);
        return res;
      }
      res.refused++;
    }
    const took = performance.now() - started;
    res.slowestMs = Math.max(res.slowestMs, took);
    res.cases++;
    const dirty = pollution(before);
    if (dirty.length > 0) {
      t.fail(`${o.name}: case ${i} (seed ${o.seed}) changed ${dirty.join(', ')} on ${show(input)}`);
      return res;
    }
    if (took > HANG_MS) {
      t.fail(`${o.name}: case ${i} (seed ${o.seed}) took ${Math.round(took)} ms on ${show(input)}`);
      return res;
    }
  }
  t.equal(res.cases, o.cases, `${o.name}: ${res.cases} cases (seed ${o.seed}): ${res.accepted} accepted, ${res.refused} refused with a clear error, slowest ${res.slowestMs.toFixed(1)} ms`);
  return res;
}
