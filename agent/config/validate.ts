// Validation against the one schema: defaults filled in, then every error at once as `path: reason`.
import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../errors.js';

/** JSON pointer `/mqtt/brokers/0` to the dotted path `mqtt.brokers[0]` people read. */
function dotted(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/** Returns every error as `path: reason`; empty when valid. Does not change `value`. */
export function schemaErrors(schema: TSchema, value: unknown): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of Value.Errors(schema, value)) {
    const line = `${dotted(e.path)}: ${e.message}`;
    // Unions report one error per branch plus a summary; keep the first line per path.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    out.push(line);
  }
  return out;
}

/** Fills defaults into a copy and validates it; throws ConfigError naming `source` and every error. */
export function parseWith<S extends TSchema>(schema: S, value: unknown, source: string): Static<S> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source, ['(root): must be a JSON object']);
  }
  const copy = Value.Default(schema, Value.Clone(value));
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
