// Command-line arguments of `diemcau-provision`: positionals, `--name value` options and bare flags, each checked
// against what the verb accepts, so a typo is an error that names it rather than a silently ignored option.
import { BadRequestError } from '../core/errors.js';

export interface Args {
  pos: string[];
  opt: Map<string, string>;
  has(flag: string): boolean;
  get(name: string, fallback?: string): string | undefined;
  num(name: string, fallback: number): number;
}

export function parseArgs(argv: string[], options: string[], flags: string[]): Args {
  const pos: string[] = [];
  const opt = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      pos.push(a);
      continue;
    }
    const name = a.slice(2);
    if (flags.includes(name)) opt.set(name, 'true');
    else if (options.includes(name)) {
      const v = argv[++i];
      if (v === undefined) throw new BadRequestError(`option ${a} needs a value`);
      opt.set(name, v);
    } else throw new BadRequestError(`unknown option ${a} (see --help)`);
  }
  return {
    pos,
    opt,
    has: (f) => opt.has(f),
    get: (n, fb) => opt.get(n) ?? fb,
    num(n, fb) {
      const v = opt.get(n);
      if (v === undefined) return fb;
      const x = Number(v);
      if (!Number.isFinite(x) || x < 0) throw new BadRequestError(`option --${n}: ${v} is not a number`);
      return x;
    },
  };
}
