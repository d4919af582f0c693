// Validation against the one schema: defaults filled in, then every error at once as `path: reason`.
import type { TSchema, Static } from './type.js';
import { errors, withDefaults } from './value.js';
import { parseJsonText, JsonTextError } from './json-text.js';
import { ConfigError } from '../errors.js';

/**
 * How many errors a refusal lists. A document of 3,000 unknown keys listed them all, so a 31 KB command drew a 146 KB
 * reply (and a desired config of 20,000 keys a 650 KB line in state and the log): the first ones say what is wrong.
 */
export const MAX_LISTED_ERRORS = 20;

/**
 * The errors as `path: reason`, at most MAX_LISTED_ERRORS of them and then one line saying how many more; empty when
 * valid. Does not change `value`.
 */
export function schemaErrors(schema: TSchema, value: unknown): string[] {
  const all = errors(schema, value);
  if (all.length <= MAX_LISTED_ERRORS) return all;
  return [...all.slice(0, MAX_LISTED_ERRORS), `…: ${all.length - MAX_LISTED_ERRORS} more error(s) not listed`];
}

/** Fills defaults into a copy and validates it; throws ConfigError naming `source` and every error. */
export function parseWith<S extends TSchema>(schema: S, value: unknown, source: string): Static<S> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source, ['(root): must be a JSON object']);
  }
  const copy = withDefaults(schema, value);
  const errors = schemaErrors(schema, copy);
  if (errors.length > 0) throw new ConfigError(source, errors);
  return copy as Static<S>;
}

/**
 * JSON text read as written (schema/json-text.ts: bounded depth, whole numbers exact); an error names the source,
 * and the position or path.
 */
export function parseJson(text: string, source: string): unknown {
  try {
    return parseJsonText(text);
  } catch (err) {
    if (err instanceof JsonTextError) throw new ConfigError(source, [err.line]);
    throw err;
  }
}
