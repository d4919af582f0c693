// `npm run bench -- faults [--json FILE] [--long] [--only NAME[,NAME]]`: each fault of the matrix against a real
// agent process in a meeting (bench/faults/world.ts), one row per fault (bench/faults/runner.ts). Needs root (network
// and mount namespaces, a tmpfs) and libfaketime. `--long` adds the broker gone for 10 minutes. docs/reliability.md.
import { flags, printTable, writeJson } from './report.js';
import { startWorld } from './faults/world.js';
import { runFault, type Fault, type Result } from './faults/runner.js';
import { brokerGone, dnsGone, linkFlapping } from './faults/link.js';
import { bridgeGone, workerKilled } from './faults/media.js';
import { clockJump, diskFull, serialUnplug } from './faults/host.js';
import { killDuringConfigWrite } from './faults/crash.js';

export function matrix(long: boolean): Fault[] {
  return [
    brokerGone(10),
    brokerGone(60),
    ...(long ? [brokerGone(600)] : []),
    bridgeGone(20),
    dnsGone(20),
    linkFlapping(60),
    clockJump('+1d', 20),
    clockJump('-1d', 20),
    diskFull(20),
    serialUnplug(10),
    workerKilled(),
    killDuringConfigWrite(),
  ];
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  if (process.getuid?.() !== 0) throw new Error('bench faults: needs root (network and mount namespaces, a tmpfs)');
  const only = f.get('only')?.split(',').map((s) => s.trim().toLowerCase());
  const faults = matrix(f.has('long')).filter((x) => !only || only.some((o) => x.name.toLowerCase().includes(o)));
  if (faults.length === 0) throw new Error(`bench faults: no fault matches --only ${f.get('only')}`);
  const world = await startWorld();
  const results: Result[] = [];
  const startedAt = new Date().toISOString();
  try {
    for (const [i, fault] of faults.entries()) {
      const id = `vn-9${String(i).padStart(2, '0')}${String(process.pid % 1000).padStart(3, '0')}`;
      try {
        const r = await runFault(world, fault, id, (l) => console.log(l));
        results.push(r);
        console.log(`  -> ${JSON.stringify({ ...r, how: undefined })}`);
      } catch (err) {
        const msg = (err as Error).message.split('\n')[0];
        console.log(`  -> ${fault.name}: did not run: ${msg}`);
        results.push({ fault: fault.name, detected_s: null, recovered_s: null, truthful: 'no', lost: -1, agent_restarted: 'no', how: fault.how, lostDetail: { commands: 0, pushes: 0, state: 0, total: 0 }, commandsSent: 0, lie: null, error: `did not run: ${msg}` });
      }
    }
  } finally {
    await world.close();
  }
  printTable(
    'faults against a real agent in a meeting (detected: s from the fault; recovered: s from its end)',
    results.map(({ fault, detected_s, recovered_s, truthful, lost, agent_restarted }) => ({ fault, detected_s, recovered_s, truthful, lost, agent_restarted })),
  );
  for (const r of results) if (r.lie || r.error || r.lost) console.log(`${r.fault}: ${[r.lie, r.error, r.lost ? `lost ${JSON.stringify(r.lostDetail)}` : null].filter(Boolean).join('; ')}`);
  await writeJson(f.get('json'), { bench: 'faults', startedAt, long: f.has('long'), results });
}
