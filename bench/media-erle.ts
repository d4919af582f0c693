// Echo return loss enhancement of the room audio pipeline on the synthetic room (agent/media/audio-erle.ts), for
// the media bench: `erleBench()` gives the top-level `erle_db` of `npm run bench -- media --json FILE`.
// Run alone: `node dist/bench/media-erle.js [--json FILE] [--far-s 10] [--talk-s 4]`.
import { fileURLToPath } from 'node:url';
import { measureErle, type ErleResult } from '../lab/media/audio-erle.js';
import { flags, printTable, writeJson } from './report.js';

/** Issue 5's floor. */
export const ERLE_FLOOR_DB = 20;

/** One real-time run (about farS + 2*talkS seconds): programme only, then the hall talker alone and over it. */
export async function erleBench(opts: { farS?: number; talkS?: number } = {}): Promise<ErleResult> {
  return measureErle({ farS: opts.farS ?? 10, convergeS: 3, talkS: opts.talkS ?? 4 });
}

export function erleRow(r: ErleResult): Record<string, string | number> {
  return {
    erle_db: r.erle_db,
    floor_db: ERLE_FLOOR_DB,
    echo_dbfs: r.echo_dbfs,
    residual_dbfs: r.residual_dbfs,
    talker_drop_db: r.near_drop_db ?? 'n/a',
    echo_lag_ms: r.reference_lead_ms,
    chunks: `${r.chunks_out}/${r.chunks_in}`,
  };
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const r = await erleBench({ farS: Number(f.get('far-s') ?? 10), talkS: Number(f.get('talk-s') ?? 4) });
  printTable('Echo cancellation on the synthetic room (webrtcdsp + webrtcechoprobe, real time)', [erleRow(r)]);
  await writeJson(f.get('json'), r);
  if (r.erle_db < ERLE_FLOOR_DB) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
