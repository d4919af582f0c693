// Command-line arguments of `diemcau-provision`: positionals, `--name value` options and bare flags, each checked
// against what the verb accepts (core/cli-args.ts, Node's util.parseArgs), so a typo is an error that names it.
import { BadRequestError } from '../core/errors.js';
import { parseCli } from '../core/cli-args.js';

export interface Args {
  pos: string[];
  has(flag: string): boolean;
  get(name: string, fallback?: string): string | undefined;
  num(name: string, fallback: number): number;
}

export function parseArgs(argv: string[], options: string[], flags: string[]): Args {
  const { positionals, values } = parseCli(argv, { values: options, flags });
  const get = (n: string) => (typeof values[n] === 'string' ? (values[n] as string) : undefined);
  return {
    pos: positionals,
    has: (f) => values[f] !== undefined,
    get: (n, fb) => get(n) ?? fb,
    num(n, fb) {
      const v = get(n);
      if (v === undefined) return fb;
      const x = Number(v);
      if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new BadRequestError(`option --${n}: ${v} is not a number`);
      return x;
    },
  };
}
