// `npm run bench -- drivers [--json FILE] [--n 500]`: the device drivers' numbers in one table and one JSON object.
// A thin runner: each driver family keeps its measurements in bench/drivers-<family>.ts.
import { flags, printTable, writeJson } from './report.js';
import { viscaBench } from './drivers-visca.js';

type Part = (n: number) => Promise<Record<string, number>>;

/** Optional parts: a family whose bench file is not there yet is left out, not an error. */
async function optionalPart(file: string, exportName: string): Promise<Part | null> {
  try {
    const mod = (await import(file)) as Record<string, unknown>;
    return typeof mod[exportName] === 'function' ? (mod[exportName] as Part) : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw err;
  }
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const n = Number(f.get('n') ?? 500);
  const parts: Array<[string, Part]> = [['visca', viscaBench]];
  const display = await optionalPart('./drivers-display.js', 'displayBench');
  if (display) parts.push(['display', display]);
  const result: Record<string, number> = {};
  const rows: Array<Record<string, string | number>> = [];
  for (const [family, run] of parts) {
    const r = await run(n);
    for (const [metric, value] of Object.entries(r)) {
      result[metric] = value;
      rows.push({ family, metric, value });
    }
  }
  printTable(`device drivers (${n} commands per RTT series; pty RTT is the software path, not the 9600 bps wire)`, rows);
  await writeJson(f.get('json'), result);
}
