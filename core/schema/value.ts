// Defaults and validation for the schemas of ./type.ts: every error at once, as `path: reason` with the path
// written the way people read it (`devices.camera.port`, `mqtt.brokers[0]`). Keys come from outside, so every
// lookup of one is an own-property lookup and every write defines a data property: `constructor`, `toString` or
// `__proto__` in a document is an ordinary key (an unknown field where the schema says so), never something
// inherited from Object.prototype, and never a prototype to set.
//
// Keywords supported (JSON Schema 2020-12 meaning; ./keywords.ts refuses any other when a schema is built or first
// handed here): type (one name), const (a string, number, boolean or null), anyOf, minLength and maxLength (in
// characters, i.e. code points), pattern (ECMA-262 with the `u` flag, unanchored), minimum, maximum, multipleOf,
// minItems, maxItems, uniqueItems, items (one schema for every item), properties, required, patternProperties,
// additionalProperties (true or false); and the annotations title, description, $comment, $id, $schema, examples
// and default (which withDefaults fills in). test/core/schema-ajv.test.ts holds the verdicts to ajv's.
//
// A value that matches no branch of an anyOf is answered with the errors of the closest branch, so the field at
// fault is named (`pan: must be ≤ 32767`, not "matches none of the forms"). Closest, in this order: a union of
// constants names them all; only branches that take the value's kind (object, string, number, ...) count, and
// when none does, the kinds allowed are named; branches that are objects all holding a required constant under the
// same key (a discriminator, as `ok: true | false` in core/claim.ts) are chosen by that key; otherwise the branch
// that knows most of the document's keys, then the one with fewest errors, then the first.
import { OptionalKind, type Static, type TSchema } from './type.js';
import { supported } from './keywords.js';

type S = TSchema & Record<string, unknown>;

/** A copy of `value` with the schema's defaults filled in where values are missing. */
export function withDefaults(schema: TSchema, value: unknown): unknown {
  return fill(supported(schema), value);
}

function fill(schema: TSchema, value: unknown): unknown {
  const s = schema as S;
  let v = value === undefined && s.default !== undefined ? structuredClone(s.default) : value;
  if (v === undefined) return v;
  if (s.type === 'object' && isObject(v)) {
    const props = (s.properties ?? {}) as Record<string, TSchema>;
    const out: Record<string, unknown> = { ...v }; // spread defines own data properties (`__proto__` included)
    for (const [k, ps] of Object.entries(props)) {
      if (own(out, k) === undefined && ps[OptionalKind]) continue; // an optional property left out stays out
      const next = fill(ps, own(out, k));
      if (next !== undefined) setOwn(out, k, next);
    }
    for (const [pattern, ps] of Object.entries((s.patternProperties ?? {}) as Record<string, TSchema>)) {
      const re = regex(pattern);
      for (const k of Object.keys(out)) if (re.test(k)) setOwn(out, k, fill(ps, own(out, k)));
    }
    v = out;
  } else if (s.type === 'array' && Array.isArray(v) && s.items) {
    v = v.map((item) => fill(s.items as TSchema, item));
  }
  return v;
}

/** `o[k]` if `o` has it as its own property; never a member of Object.prototype. */
function own(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** `o[k] = v` as a data property: `__proto__` stays a key and does not set the prototype. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a message quotes of a value or key from outside: enough to recognise it, never the whole of a large one. */
const SHOWN_CHARS = 80;

function cut(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS - 20)}… (${text.length} characters)` : text;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${cut(key)}` : cut(key);
}

function show(v: unknown): string {
  try {
    return cut(JSON.stringify(v) ?? String(v));
  } catch {
    // JSON.stringify recurses: a value parsed without json-text.ts's depth bound (a claim request) can be too deep.
    return 'a value nested too deep to show';
  }
}

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return true;
  }
}

/** Every error in `value`, as `path: reason` (`(root)` for the top). Empty when valid. */
export function errors(schema: TSchema, value: unknown): string[] {
  return errorsAt(supported(schema) as S, value, '');
}

function errorsAt(s: S, value: unknown, path: string): string[] {
  const at = path || '(root)';
  const out: string[] = [];
  if (s.anyOf) {
    // The schema's other keywords hold as well as one of the branches (`Type.Union([...], { ... })`).
    const { anyOf, ...rest } = s;
    return [...unionErrors(anyOf as S[], value, path), ...errorsAt(rest as S, value, path)];
  }
  if ('const' in s && value !== s.const) return [`${at}: must be ${show(s.const)} (got ${show(value)})`];
  if (typeof s.type === 'string' && !typeOk(s.type, value)) {
    return [`${at}: must be ${typeNames[s.type] ?? s.type} (got ${show(value)})`];
  }
  if (typeof value === 'string') {
    const length = characters(value);
    if (typeof s.minLength === 'number' && length < s.minLength) out.push(`${at}: must be at least ${s.minLength} character(s) long`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) out.push(`${at}: must be at most ${s.maxLength} characters`);
    if (typeof s.pattern === 'string' && !regex(s.pattern).test(value)) out.push(`${at}: ${show(value)} does not match ${s.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) out.push(`${at}: must be ≥ ${s.minimum} (got ${value})`);
    if (typeof s.maximum === 'number' && value > s.maximum) out.push(`${at}: must be ≤ ${s.maximum} (got ${value})`);
    if (typeof s.multipleOf === 'number' && value % s.multipleOf !== 0) out.push(`${at}: must be a multiple of ${s.multipleOf} (got ${value})`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) out.push(`${at}: needs at least ${s.minItems} item(s)`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) out.push(`${at}: at most ${s.maxItems} items`);
    if (s.uniqueItems === true && !allDistinct(value)) out.push(`${at}: items must be unique`);
    if (s.items) value.forEach((item, i) => out.push(...errorsAt(s.items as S, item, join(path, i))));
  }
  if (isObject(value)) {
    const props = (s.properties ?? {}) as Record<string, S>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, S>).map(([p, ps]) => [regex(p), ps] as const);
    for (const k of (s.required ?? []) as string[]) {
      if (own(value, k) === undefined) out.push(`${join(path, k)}: is required`);
    }
    for (const [k, v] of Object.entries(value)) {
      // A key is held to its property and to every pattern it matches; additionalProperties is for the rest.
      const mine = [...(Object.hasOwn(props, k) ? [props[k]] : []), ...patterns.filter(([re]) => re.test(k)).map(([, ps]) => ps)];
      for (const ks of mine) out.push(...errorsAt(ks, v, join(path, k)));
      if (mine.length === 0 && s.additionalProperties === false) out.push(`${join(path, k)}: unknown field`);
    }
  }
  return out;
}

/** The errors of a value no branch takes: those of the closest branch, by the rule in the module comment. */
function unionErrors(branches: S[], value: unknown, path: string): string[] {
  const at = path || '(root)';
  const results = branches.map((b) => errorsAt(b, value, path));
  if (results.some((r) => r.length === 0)) return [];
  const constants = (of: number[]) => (of.every((i) => 'const' in branches[i]) ? of.map((i) => show(branches[i].const)) : null);
  const all = constants(branches.map((_, i) => i));
  if (all) return [`${at}: must be one of ${all.join(', ')} (got ${show(value)})`];
  const fit = branches.map((_, i) => i).filter((i) => takesKind(branches[i], value));
  if (fit.length === 0) return [`${at}: must be ${alternatives(kindNames(branches))} (got ${show(value)})`];
  if (fit.length === 1) return results[fit[0]];
  const some = constants(fit);
  if (some) return [`${at}: must be one of ${some.join(', ')} (got ${show(value)})`];
  if (isObject(value)) {
    const key = discriminator(fit.map((i) => branches[i]));
    if (key !== undefined) {
      const constOf = (i: number) => (branches[i].properties as Record<string, S>)[key].const;
      const hit = fit.find((i) => constOf(i) === own(value, key));
      if (hit !== undefined) return results[hit];
      const allowed = fit.map((i) => show(constOf(i))).join(', ');
      if (own(value, key) === undefined) return [`${join(path, key)}: is required (one of ${allowed})`];
      return [`${join(path, key)}: must be one of ${allowed} (got ${show(own(value, key))})`];
    }
  }
  const known = (i: number) => (isObject(value) ? Object.keys(value).filter((k) => knowsKey(branches[i], k)).length : 0);
  const best = fit.reduce((a, b) => (known(b) > known(a) || (known(b) === known(a) && results[b].length < results[a].length) ? b : a));
  return results[best];
}

/** Whether `b` can take a value of this kind at all (a whole-number branch counts for any number). */
function takesKind(b: S, v: unknown): boolean {
  if (Array.isArray(b.anyOf)) return (b.anyOf as S[]).some((x) => takesKind(x, v));
  if ('const' in b) return kind(b.const) === kind(v);
  if (typeof b.type !== 'string') return true;
  return b.type === 'integer' ? typeof v === 'number' : typeOk(b.type, v);
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** What the branches take, for a value of none of their kinds: constants shown, types named. */
function kindNames(branches: S[]): string[] {
  const names = branches.flatMap((b): string[] => {
    if (Array.isArray(b.anyOf)) return kindNames(b.anyOf as S[]);
    if ('const' in b) return [show(b.const)];
    return [typeNames[b.type as string] ?? String(b.type)];
  });
  return [...new Set(names)];
}

function alternatives(names: string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** A key every branch requires and fixes to a distinct constant (`ok: true` / `ok: false`), if there is one. */
function discriminator(branches: S[]): string | undefined {
  const first = (branches[0].properties ?? {}) as Record<string, S>;
  return Object.keys(first).find((key) => {
    const consts = branches.map((b) => {
      const p = (b.properties ?? {}) as Record<string, S>;
      const required = ((b.required ?? []) as string[]).includes(key);
      return required && Object.hasOwn(p, key) && 'const' in p[key] ? p[key].const : undefined;
    });
    return consts.every((c) => c !== undefined) && new Set(consts).size === consts.length;
  });
}

function knowsKey(b: S, key: string): boolean {
  if (Object.hasOwn((b.properties ?? {}) as object, key)) return true;
  return Object.keys((b.patternProperties ?? {}) as object).some((p) => regex(p).test(key));
}

/** Length as JSON Schema counts it: characters (code points), so an emoji is one, not two UTF-16 units. */
function characters(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** uniqueItems: equal values (whatever their key order) are duplicates; one too deep to compare counts as distinct. */
function allDistinct(items: unknown[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    let key: string;
    try {
      key = canonical(item);
    } catch {
      continue; // recursion too deep (a value parsed without json-text.ts's bound): its own errors say enough
    }
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const patternCache = new Map<string, RegExp>();
/** A pattern compiled once, with the `u` flag as JSON Schema reads it. */
function regex(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) patternCache.set(pattern, (re = new RegExp(pattern, 'u')));
  return re;
}

/** True when `value` matches `schema`. */
export function check<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return errors(schema, value).length === 0;
}

/** The same three operations under the names TypeBox users know. */
export const Value = {
  Check: check,
  Default: withDefaults,
  /** Errors as `{ path, message }` (the path dotted as in errors()). */
  Errors: (schema: TSchema, value: unknown): Array<{ path: string; message: string }> =>
    errors(schema, value).map((line) => {
      const i = line.indexOf(': ');
      return { path: line.slice(0, i), message: line.slice(i + 2) };
    }),
};
