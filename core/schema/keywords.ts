// The JSON Schema keywords our validator (./value.ts) knows, and the check that refuses a schema using any other
// when it is built (./type.ts) or first used (raw schema objects handed to the validator, default filling or the
// command router). A keyword the validator does not know would otherwise be ignored, and the schema would accept
// what its author meant to refuse.

/** Keywords that decide validity, each with the check of its own value (null when the value is fine). */
const VALIDATION: Record<string, (v: unknown) => string | null> = {
  type: (v) => (typeof v === 'string' && TYPES.includes(v) ? null : `must be one of ${TYPES.join(', ')}`),
  const: (v) => (v === null || ['string', 'boolean'].includes(typeof v) || Number.isFinite(v) ? null : 'must be a string, number, boolean or null'),
  anyOf: (v) => (Array.isArray(v) && v.length > 0 ? null : 'must be a non-empty list of schemas'),
  minLength: count,
  maxLength: count,
  pattern: regex,
  minimum: (v) => (Number.isFinite(v) ? null : 'must be a number'),
  maximum: (v) => (Number.isFinite(v) ? null : 'must be a number'),
  multipleOf: (v) => (Number.isFinite(v) && (v as number) > 0 ? null : 'must be a number above 0'),
  minItems: count,
  maxItems: count,
  uniqueItems: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  items: (v) => (isObject(v) ? null : 'must be a schema'),
  properties: (v) => (isObject(v) ? null : 'must be an object of schemas'),
  required: (v) => (Array.isArray(v) && v.every((k) => typeof k === 'string') ? null : 'must be a list of property names'),
  patternProperties: (v) => (isObject(v) ? Object.keys(v).map(regex).find((e) => e !== null) ?? null : 'must be an object of schemas'),
  additionalProperties: (v) => (typeof v === 'boolean' ? null : 'must be true or false (a schema here is not supported)'),
};

/** Keywords that only describe (docs, tooling); default filling reads `default`. */
const ANNOTATION: Record<string, (v: unknown) => string | null> = {
  title: text,
  description: text,
  $comment: text,
  $id: text,
  $schema: text,
  default: () => null,
  examples: (v) => (Array.isArray(v) ? null : 'must be a list'),
};

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

/** Every keyword a schema may use; the validator's header comment lists the same. */
export const SUPPORTED_KEYWORDS: readonly string[] = [...Object.keys(VALIDATION), ...Object.keys(ANNOTATION)];

/** A schema the validator cannot honour: names the keyword and where it is (a JSON Pointer into the schema). */
export class SchemaKeywordError extends Error {
  constructor(
    readonly keyword: string,
    readonly at: string,
    reason: string,
  ) {
    super(
      reason === 'unsupported'
        ? `schema: unsupported keyword "${keyword}" at ${at} (supported: ${SUPPORTED_KEYWORDS.join(', ')})`
        : `schema: "${keyword}" at ${at}: ${reason}`,
    );
    this.name = 'SchemaKeywordError';
  }
}

/** Schemas already checked whole (each builder's result, each schema the validator was handed). */
const checked = new WeakSet<object>();

/** Returns `schema` after checking it and everything under it; throws SchemaKeywordError at the first problem. */
export function supported<T extends object>(schema: T, at = '#'): T {
  if (checked.has(schema)) return schema;
  if (!isObject(schema)) throw new SchemaKeywordError('(schema)', at, 'must be a schema object');
  for (const [k, v] of Object.entries(schema)) {
    const rule = Object.hasOwn(VALIDATION, k) ? VALIDATION[k] : Object.hasOwn(ANNOTATION, k) ? ANNOTATION[k] : undefined;
    if (!rule) throw new SchemaKeywordError(k, at, 'unsupported');
    const problem = rule(v);
    if (problem) throw new SchemaKeywordError(k, at, problem);
  }
  const s = schema as Record<string, unknown>;
  if (s.items) supported(s.items as object, `${at}/items`);
  for (const key of ['properties', 'patternProperties']) {
    for (const [k, v] of Object.entries((s[key] ?? {}) as Record<string, object>)) supported(v, `${at}/${key}/${pointer(k)}`);
  }
  if (Array.isArray(s.anyOf)) s.anyOf.forEach((b: object, i) => supported(b, `${at}/anyOf/${i}`));
  checked.add(schema);
  return schema;
}

function count(v: unknown): string | null {
  return Number.isInteger(v) && (v as number) >= 0 ? null : 'must be a whole number, 0 or more';
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? null : 'must be a string';
}

/** Patterns are ECMA-262 regular expressions with the `u` flag, as JSON Schema and ajv read them. */
function regex(v: unknown): string | null {
  if (typeof v !== 'string') return 'must be a string';
  try {
    new RegExp(v, 'u');
    return null;
  } catch (err) {
    return `not a regular expression: ${(err as Error).message}`;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A property name as a JSON Pointer segment (RFC 6901). */
function pointer(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}
