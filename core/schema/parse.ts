// Validation against the one schema: defaults filled in, then every error at once as `path: reason`.
import type { TSchema, Static } from './type.js';
import { errors, withDefaults } from './value.js';
import { ConfigError } from '../errors.js';

/** Returns every error as `path: reason`; empty when valid. Does not change `value`. */
export function schemaErrors(schema: TSchema, value: unknown): string[] {
  return errors(schema, value);
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

/** JSON.parse with an error that names the source and the position. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(source, [`(root): not valid JSON: ${(err as Error).message}`]);
  }
}
