// `npm run bench -- reconnect [--agents N] [--broker-rate R] [--spread S] [--json FILE]`: a model of a fleet's
// return after the broker was away for a while, with the agent's own delay function (agent/mqtt/backoff.ts), to
// weigh the policy for refused connections after a mass event (docs/mqtt.md, "A broker crash"). Every box drew its
// first retry over the mass window (fleetSize / brokerConnectsPerS, or --spread) when the broker went; an attempt
// before the broker is back is refused at once (a closed port answers with a reset). Two policies for the next:
//  - spread: what the agent does (over the window again; over twice the window from the second refusal on);
//  - short: the link schedule (exponential from reconnect.minMs, full jitter).
// Printed per outage length: when boxes are back after the broker (mean, p95) and the busiest second of connects.
import { reconnectDelay, massWindowMs, type ReconnectPolicy } from '../agent/mqtt/backoff.js';
import { parseConfig } from '../agent/config/load.js';
import { printTable, writeJson, flags, percentile } from './report.js';


function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** Seconds after the broker's return at which each box connects. */
function returns(n: number, outageMs: number, next: 'spread' | 'short', POLICY: ReconnectPolicy, rand: () => number): number[] {
  const back: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = reconnectDelay(0, 'mass', POLICY, rand);
    for (let attempt = 1; t < outageMs; attempt++) t += reconnectDelay(attempt, next === 'spread' ? 'mass' : 'link', POLICY, rand);
    back.push((t - outageMs) / 1000);
  }
  return back.sort((a, b) => a - b);
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const n = Number(f.get('agents') ?? 10400);
  // The agent's defaults for the rest; the fleet is the one modelled. --spread: a fixed window, as before the rate.
  const reconnect: Record<string, number> = { fleetSize: n };
  if (f.has('broker-rate')) reconnect.brokerConnectsPerS = Number(f.get('broker-rate'));
  if (f.has('spread')) reconnect.massSpreadS = Number(f.get('spread'));
  const POLICY = parseConfig({ box: { id: 'vn-model' }, mqtt: { reconnect } }, '--broker-rate/--spread').mqtt.reconnect;
  const windowS = massWindowMs(POLICY) / 1000;
  const rows: Array<Record<string, string | number>> = [];
  for (const outageS of [2, 10, 20, 45, 120, 600]) {
    for (const next of ['spread', 'short'] as const) {
      const back = returns(n, outageS * 1000, next, POLICY, seeded(7));
      const perSecond = new Map<number, number>();
      for (const b of back) perSecond.set(Math.floor(b), (perSecond.get(Math.floor(b)) ?? 0) + 1);
      rows.push({
        outageS,
        next,
        meanBackS: back.reduce((s, b) => s + b, 0) / n,
        p95BackS: percentile(back, 95),
        peakPerS: Math.max(...perSecond.values()),
      });
    }
  }
  printTable(`${n} boxes, mass window ${windowS} s (even rate ${Math.round(n / windowS)}/s), refused attempts retried by:`, rows);
  await writeJson(f.get('json'), { agents: n, policy: POLICY, window_s: windowS, rows });
}
