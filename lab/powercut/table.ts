// Prints the table of docs/reliability.md ("Power cut at every write") from the results `npm run check:powercut`
// wrote (one JSON file per scenario, test/agent/powercut.ts): usage `node dist/lab/powercut/table.js DIR`.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SweepResult } from './sweep.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: table DIR  (the POWERCUT_JSON directory of a check:powercut run)\n');
  process.exit(2);
}
const rows: string[] = [
  '| scenario | what is written | N | cut points tried (crash + torn) | survived | left old / new | unit starts to settle | left behind |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
let tried = 0;
let survived = 0;
for (const f of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
  const r = JSON.parse(await readFile(join(dir, f), 'utf8')) as SweepResult;
  const old = r.runs.filter((x) => x.verdict.left.config === 'old' && x.verdict.left.version !== '2.0.0').length;
  const starts = Math.max(...r.runs.map((x) => x.verdict.left.unitStarts));
  const debris = r.runs.filter((x) => x.verdict.debris.length > 0).length;
  rows.push(`| ${r.scenario} | ${r.what} | ${r.ops.length} | ${r.tried} | ${r.survived} | ${old} / ${r.tried - old} | ≤ ${starts} | ${debris} |`);
  tried += r.tried;
  survived += r.survived;
}
rows.push(`| **all** | | | **${tried}** | **${survived}** | | | |`);
process.stdout.write(rows.join('\n') + '\n');
