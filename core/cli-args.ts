// Command-line options for both CLIs (`diemcau`, `diemcau-provision`), parsed by Node's own util.parseArgs, strict:
// an unknown option or a missing value is an error that names the option, never silently ignored.
import { parseArgs } from 'node:util';
import { BadRequestError } from './errors.js';

export interface CliOptions {
  /** Options that take a value (`--db DIR`). */
  values?: readonly string[];
  /** Options that take a value and may be given more than once (`--broker URL --broker URL`). */
  repeated?: readonly string[];
  /** Bare flags (`--json`). */
  flags?: readonly string[];
}

export interface ParsedCli {
  positionals: string[];
  values: Record<string, string | string[] | boolean | undefined>;
}

/** Parses `argv`; throws BadRequestError naming the option at fault. */
export function parseCli(argv: string[], o: CliOptions): ParsedCli {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const n of o.values ?? []) options[n] = { type: 'string' };
  for (const n of o.repeated ?? []) options[n] = { type: 'string', multiple: true };
  for (const n of o.flags ?? []) options[n] = { type: 'boolean' };
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { positionals: r.positionals, values: r.values as ParsedCli['values'] };
  } catch (err) {
    const e = err as Error & { code?: string };
    const opt = /'(--?[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new BadRequestError(`unknown option ${opt} (see --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new BadRequestError(o.flags?.includes(opt.replace(/^--/, '')) ? `option ${opt} takes no value` : `option ${opt} needs a value`);
    }
    throw new BadRequestError(e.message);
  }
}
