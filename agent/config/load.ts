// Loading, checking and saving the agent's config file, and merging a carrier's desired config into it.
import { readFile } from 'node:fs/promises';
import { Config, DesiredConfig, REMOTE_SECTIONS, type Config as ConfigT, type DesiredConfig as DesiredT } from '../../core/config/schema.js';
import { parseJson, parseWith } from '../../core/schema/parse.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { BadRequestError, ConfigError, WriteError } from '../../core/errors.js';
import { parseJsonText, JsonTextError } from '../../core/schema/json-text.js';

export const DEFAULT_CONFIG_PATH = '/etc/diemcau/config.json';

export async function loadConfigFile(path: string): Promise<ConfigT> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`(root): cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseWith(Config, parseJson(text, path), path);
}

export function parseConfig(value: unknown, source: string): ConfigT {
  return parseWith(Config, value, source);
}

/** The desired config's JSON; text the schema cannot judge (not JSON, too deep, inexact numbers) is a bad request. */
export function readDesired(payload: Buffer, source: string): { version?: unknown } | null {
  try {
    return parseJsonText(payload.toString('utf8')) as { version?: unknown } | null;
  } catch (err) {
    if (err instanceof JsonTextError) throw new BadRequestError(`${source}: ${err.line}`, [err.line]);
    throw err;
  }
}

export function parseDesired(value: unknown, source: string): DesiredT {
  return parseWith(DesiredConfig, value, source);
}

/**
 * The config that results from applying `desired` on top of `current`: each section present in `desired`
 * replaces the current one whole; the result is validated again as a whole config.
 */
export function mergeDesired(current: ConfigT, desired: DesiredT): ConfigT {
  const next: Record<string, unknown> = structuredClone(current);
  for (const section of REMOTE_SECTIONS) {
    if (desired[section] !== undefined) next[section] = structuredClone(desired[section]);
  }
  next.configVersion = desired.version; // `rebase` is how it was taken, not part of the config
  return parseWith(Config, next, `config/desired v${desired.version}`);
}

/** Saves atomically; a failure (a full disk) is a WriteError naming `path`, and the old file stays whole. */
export async function saveConfigFile(path: string, config: ConfigT): Promise<void> {
  try {
    await writeFileAtomic(path, JSON.stringify(config, null, 2) + '\n');
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw new WriteError(path, err as NodeJS.ErrnoException);
    throw err;
  }
}
