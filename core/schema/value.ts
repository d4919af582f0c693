// Defaults and validation for the schemas of ./type.ts: every error at once, as `path: reason` with the path
// written the way people read it (`devices.camera.port`, `mqtt.brokers[0]`). Keys come from outside, so every
// lookup of one is an own-property lookup and every write defines a data property: `constructor`, `toString` or
// `__proto__` in a document is an ordinary key (an unknown field where the schema says so), never something
// inherited from Object.prototype, and never a prototype to set.
import { OptionalKind, type Static, type TSchema } from './type.js';

type S = TSchema & Record<string, unknown>;

/** A copy of `value` with the schema's defaults filled in where values are missing. */
export function withDefaults(schema: TSchema, value: unknown): unknown {
  const s = schema as S;
  let v = value === undefined && s.default !== undefined ? structuredClone(s.default) : value;
  if (v === undefined) return v;
  if (s.type === 'object' && isObject(v)) {
    const props = (s.properties ?? {}) as Record<string, TSchema>;
    const out: Record<string, unknown> = { ...v }; // spread defines own data properties (`__proto__` included)
    for (const [k, ps] of Object.entries(props)) {
      if (own(out, k) === undefined && ps[OptionalKind]) continue; // an optional property left out stays out
      const next = withDefaults(ps, own(out, k));
      if (next !== undefined) setOwn(out, k, next);
    }
    for (const [pattern, ps] of Object.entries((s.patternProperties ?? {}) as Record<string, TSchema>)) {
      const re = new RegExp(pattern);
      for (const k of Object.keys(out)) if (re.test(k)) setOwn(out, k, withDefaults(ps, own(out, k)));
    }
    v = out;
  } else if (s.type === 'array' && Array.isArray(v) && s.items) {
    v = v.map((item) => withDefaults(s.items as TSchema, item));
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

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
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
export function errors(schema: TSchema, value: unknown, path = ''): string[] {
  const s = schema as S;
  const at = path || '(root)';
  const out: string[] = [];
  if (s.anyOf) {
    const branches = s.anyOf as TSchema[];
    if (branches.some((b) => errors(b, value, path).length === 0)) return out;
    const consts = branches.filter((b) => 'const' in b).map((b) => show(b.const));
    if (consts.length === branches.length) return [`${at}: must be one of ${consts.join(', ')} (got ${show(value)})`];
    if (branches.length === 1) return errors(branches[0], value, path);
    return [`${at}: matches none of the ${branches.length} allowed forms`];
  }
  if ('const' in s && value !== s.const) return [`${at}: must be ${show(s.const)} (got ${show(value)})`];
  if (typeof s.type === 'string' && !typeOk(s.type, value)) {
    return [`${at}: must be ${typeNames[s.type] ?? s.type} (got ${show(value)})`];
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength) {
      out.push(`${at}: must be at least ${s.minLength} character(s) long`);
    }
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) out.push(`${at}: must be at most ${s.maxLength} characters`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(value)) {
      out.push(`${at}: ${show(value)} does not match ${s.pattern}`);
    }
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) out.push(`${at}: must be ≥ ${s.minimum} (got ${value})`);
    if (typeof s.maximum === 'number' && value > s.maximum) out.push(`${at}: must be ≤ ${s.maximum} (got ${value})`);
    if (typeof s.multipleOf === 'number' && value % s.multipleOf !== 0) out.push(`${at}: must be a multiple of ${s.multipleOf} (got ${value})`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) out.push(`${at}: needs at least ${s.minItems} item(s)`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) out.push(`${at}: at most ${s.maxItems} items`);
    if (s.uniqueItems === true) {
      const seen = new Set(value.map((x) => show(x)));
      if (seen.size !== value.length) out.push(`${at}: items must be unique`);
    }
    if (s.items) value.forEach((item, i) => out.push(...errors(s.items as TSchema, item, join(path, i))));
  }
  if (isObject(value) && s.type === 'object') {
    const props = (s.properties ?? {}) as Record<string, TSchema>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, TSchema>).map(
      ([p, ps]) => [new RegExp(p), ps] as const,
    );
    for (const k of (s.required ?? []) as string[]) {
      if (own(value, k) === undefined) out.push(`${join(path, k)}: is required`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (Object.hasOwn(props, k)) {
        if (v !== undefined) out.push(...errors(props[k], v, join(path, k)));
        continue;
      }
      const pat = patterns.find(([re]) => re.test(k));
      if (pat) out.push(...errors(pat[1], v, join(path, k)));
      else if (s.additionalProperties === false) out.push(`${join(path, k)}: unknown field`);
    }
  }
  return out;
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
