// Documents made from a schema, to hold two validators against each other (test/core/schema-ajv.test.ts). Valid
// ones are drawn from each field's default and examples, or varied within its bounds (lengths, minimum and maximum,
// multiples, list sizes, union branches, optional fields in or out). Broken ones each break one thing in a valid
// one: a bound, a type, a pattern, a const, a required field taken out, an extra or Object.prototype-named key
// (`constructor`, `__proto__`, ...), every branch of a union. Whether a broken one is really invalid is for the
// validators to say; this module only makes them, the same ones for the same seed.
import type { TSchema } from '../core/schema/type.js';
import { canonical } from '../core/schema/value.js';

type S = Record<string, unknown>;

/** One document and how it was made (`devices.camera.port: "" (shorter than minLength 1)`). */
export interface Doc {
  doc: unknown;
  how: string;
}

/** mulberry32: a small seedable generator, so a failing document can be made again. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Keys named after Object.prototype's members, and a plain extra one, added to every object in turn. */
export const EXTRA_KEYS = ['extra', '__proto__', ...Object.getOwnPropertyNames(Object.prototype).filter((k) => k !== '__proto__')];

/** Characters strings are made of: ASCII, Vietnamese, a combining mark, an astral emoji (two UTF-16 units), escapes. */
const ALPHABET = ['a', 'Z', '5', ' ', '-', '.', '/', 'ộ', 'đ', '\u0301', '😀', '\n', '"', '\\', '\ud800'];
/** One value of each JSON kind, to put where another kind belongs. */
const KINDS: Array<[string, unknown]> = [
  ['a string', 'text'],
  ['a whole number', 7],
  ['a fraction', 1.5],
  ['true', true],
  ['null', null],
  ['an object', {}],
  ['a list', []],
];

export class DocumentMaker {
  constructor(private readonly rand: () => number) {}

  /** A valid document: a default or example now and then, otherwise each part made within its bounds. */
  valid(schema: TSchema, path = ''): unknown {
    const s = schema as S;
    // An object's default is filled in by default filling (`hall: {}` is not itself a whole hall): examples only.
    const drawn = s.type === 'object' ? this.drawn({ examples: s.examples }) : this.drawn(s);
    if (drawn.length > 0 && this.rand() < 0.25) return structuredClone(drawn[this.int(0, drawn.length - 1)]);
    if (Array.isArray(s.anyOf)) return this.valid(this.pick(s.anyOf as TSchema[]), path);
    if ('const' in s) return s.const;
    switch (s.type) {
      case 'object':
        return this.object(s, path);
      case 'array':
        return this.array(s, path);
      case 'string':
        return this.string(s, path);
      case 'integer':
      case 'number':
        return this.number(s);
      case 'boolean':
        return this.rand() < 0.5;
      case 'null':
        return null;
      default:
        return this.pick(KINDS)[1];
    }
  }

  /** Documents that each differ from `value` (valid for `schema`) in one place. */
  broken(schema: TSchema, value: unknown, path = ''): Doc[] {
    const s = schema as S;
    const out: Doc[] = [];
    const here = (doc: unknown, what: string) => out.push({ doc, how: `${path || '(root)'}: ${what}` });
    for (const [name, v] of KINDS) if (kindOf(v) !== kindOf(value)) here(v, `${name} instead`);
    if ('const' in s) here(typeof s.const === 'string' ? `${s.const}x` : typeof s.const === 'number' ? s.const + 1 : !s.const, 'another constant');
    if (Array.isArray(s.anyOf)) {
      // Every branch broken: a valid value of each branch, then each of its breaks.
      (s.anyOf as TSchema[]).forEach((b, i) => {
        for (const d of this.broken(b, this.valid(b, path), path)) out.push({ doc: d.doc, how: `branch ${i}: ${d.how}` });
      });
    }
    if (typeof value === 'string') this.breakString(s, value, here);
    if (typeof value === 'number') this.breakNumber(s, value, here);
    if (Array.isArray(value)) {
      const items = s.items as TSchema | undefined;
      if (typeof s.minItems === 'number' && s.minItems > 0) here(value.slice(0, s.minItems - 1), `fewer than ${s.minItems} item(s)`);
      if (typeof s.maxItems === 'number' && items) {
        here(this.items(s, s.maxItems + 1, path), `more than ${s.maxItems} items, all distinct`);
      }
      if (s.uniqueItems === true && value.length > 0) here([...value, structuredClone(value[0])], 'an item twice');
      if (items) {
        for (const i of new Set([0, value.length - 1])) {
          if (i < 0) continue;
          for (const d of this.broken(items, value[i], `${path}[${i}]`)) out.push({ doc: value.map((x, j) => (j === i ? d.doc : x)), how: d.how });
        }
      }
    }
    if (isObject(value)) {
      for (const k of (s.required ?? []) as string[]) if (Object.hasOwn(value, k)) here(without(value, k), `without required ${k}`);
      for (const k of EXTRA_KEYS) if (!Object.hasOwn(value, k)) here(withKey(value, k, 1), `extra key ${JSON.stringify(k)}`);
      here(withKey(value, '__proto__', { polluted: true }), 'a "__proto__" key holding an object');
      for (const [k, v] of Object.entries(value)) {
        const child = childSchema(s, k);
        if (!child) continue;
        for (const d of this.broken(child, v, path ? `${path}.${k}` : k)) out.push({ doc: withKey(value, k, d.doc), how: d.how });
      }
    }
    return out;
  }

  private breakString(s: S, value: string, here: (doc: unknown, what: string) => void): void {
    const chars = [...value];
    if (typeof s.minLength === 'number' && s.minLength > 0) here(chars.slice(0, s.minLength - 1).join(''), `shorter than minLength ${s.minLength}`);
    if (typeof s.maxLength === 'number') {
      here('a'.repeat(s.maxLength + 1), `longer than maxLength ${s.maxLength}`);
      here('😀'.repeat(s.maxLength + 1), `longer than maxLength ${s.maxLength}, in astral characters`);
    }
    if (typeof s.pattern === 'string') {
      for (const v of [`!${value}`, `${value}\n`, ` ${value}`, value.toUpperCase(), `${value}/x y`]) {
        here(v, `${JSON.stringify(v)} against ${s.pattern}`);
      }
    }
  }

  private breakNumber(s: S, value: number, here: (doc: unknown, what: string) => void): void {
    if (typeof s.minimum === 'number') for (const d of [1, 0.5]) here(s.minimum - d, `below minimum ${s.minimum}`);
    if (typeof s.maximum === 'number') for (const d of [1, 0.5]) here(s.maximum + d, `above maximum ${s.maximum}`);
    here(value + 0.5, 'plus a half');
    if (typeof s.multipleOf === 'number') here(value + 1, `not a multiple of ${s.multipleOf}`);
    for (const v of [1e21, -1e21, 2 ** 53 + 2]) here(v, `${v}`);
  }

  /** The field's own default and examples, where it has them. */
  private drawn(s: S): unknown[] {
    const out = Array.isArray(s.examples) ? [...(s.examples as unknown[])] : [];
    if (s.default !== undefined) out.push(s.default);
    return out;
  }

  private object(s: S, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const required = new Set((s.required ?? []) as string[]);
    for (const [k, ps] of Object.entries((s.properties ?? {}) as Record<string, TSchema>)) {
      if (required.has(k) || this.rand() < 0.6) out[k] = this.valid(ps, path ? `${path}.${k}` : k);
    }
    // Keys for patternProperties come from the object's examples (a record's keys are data, like relay names).
    const examples = (Array.isArray(s.examples) ? s.examples : []).filter(isObject);
    if (s.patternProperties && examples.length > 0) {
      for (const k of Object.keys(this.pick(examples))) {
        const child = childSchema(s, k);
        if (child && !Object.hasOwn(out, k)) out[k] = this.valid(child, path ? `${path}.${k}` : k);
      }
    }
    return out;
  }

  private array(s: S, path: string): unknown[] {
    const min = (s.minItems as number | undefined) ?? 0;
    const out = this.items(s, this.int(min, Math.min((s.maxItems as number | undefined) ?? min + 4, min + 4)), path);
    if (out.length < min) throw new Error(`${path}: cannot make ${min} distinct items; give the item schema more examples`);
    return out;
  }

  /** Up to `n` valid items, distinct when the list must be (`uniqueItems`). */
  private items(s: S, n: number, path: string): unknown[] {
    const items = s.items as TSchema;
    const out: unknown[] = [];
    const seen = new Set<string>();
    const add = (item: unknown) => {
      const key = canonical(item);
      if (s.uniqueItems === true && seen.has(key)) return;
      seen.add(key);
      out.push(item);
    };
    for (let tries = 0; out.length < n && tries < n * 10; tries++) add(this.valid(items, `${path}[${out.length}]`));
    // Strings drawn from a few examples run out: number them (`p-01` -> `p-017`), keeping those the pattern takes.
    const pattern = (items as S).pattern;
    const re = typeof pattern === 'string' ? new RegExp(pattern, 'u') : null;
    for (let i = 0; out.length < n && i < n * 10 && out.length > 0; i++) {
      const v = `${out[i % out.length]}${i}`;
      if (typeof out[i % out.length] === 'string' && (!re || re.test(v))) add(v);
    }
    return out;
  }

  private string(s: S, path: string): string {
    if (typeof s.pattern === 'string') {
      // No generator of strings for a regular expression here: a pattern needs examples to draw from.
      const re = new RegExp(s.pattern, 'u');
      const fits = this.drawn(s).filter((v): v is string => typeof v === 'string' && re.test(v));
      if (fits.length === 0) throw new Error(`${path || '(root)'}: pattern ${s.pattern} has no example that fits it; give it examples`);
      return this.pick(fits);
    }
    const min = (s.minLength as number | undefined) ?? 0;
    const max = (s.maxLength as number | undefined) ?? min + 12;
    // Now and then exactly maxLength characters, astral ones included: length counts characters, not UTF-16 units.
    const n = typeof s.maxLength === 'number' && this.rand() < 0.15 ? max : this.int(min, Math.min(max, min + 12));
    return Array.from({ length: n }, () => this.pick(ALPHABET)).join('');
  }

  private number(s: S): number {
    const integer = s.type === 'integer';
    const step = (s.multipleOf as number | undefined) ?? (integer ? 1 : 0.01);
    const lo = Math.ceil(((s.minimum as number | undefined) ?? -1e6) / step);
    const hi = Math.floor(((s.maximum as number | undefined) ?? 1e6) / step);
    const r = this.rand();
    const k = r < 0.2 ? lo : r < 0.4 ? hi : this.int(lo, hi);
    return Number((k * step).toFixed(integer ? 0 : 2));
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.int(0, list.length - 1)];
  }
}

/** The schema of `key` in an object schema: its property, else the first pattern that matches it. */
function childSchema(s: S, key: string): TSchema | undefined {
  const props = (s.properties ?? {}) as Record<string, TSchema>;
  if (Object.hasOwn(props, key)) return props[key];
  const hit = Object.entries((s.patternProperties ?? {}) as Record<string, TSchema>).find(([p]) => new RegExp(p, 'u').test(key));
  return hit?.[1];
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy with `key` set as an own data property (`__proto__` stays a key, it does not set the prototype). */
function withKey(o: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...o };
  Object.defineProperty(copy, key, { value, writable: true, enumerable: true, configurable: true });
  return copy;
}

function without(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...o };
  delete copy[key];
  return copy;
}
