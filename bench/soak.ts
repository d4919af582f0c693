// `npm run bench -- soak [--minutes 10 | --hours H] [--json FILE] [--sample-s 10] [--no-media]`
// A box in a long meeting: one real agent process (`diemcau run` with the unit's node flags) on a real Mosquitto,
// joined to a real Janus in its own network namespace (the demo's bridge), with simulated devices behind real ptys and
// device traffic the whole time: a VISCA camera move every 2 s, the display polled every second or two (its pollS),
// a panel button press every 5 s, a desired-config push every minute (which restarts the display device). The agent
// reports its own and its media worker's process health in telemetry (agent/process-health.ts); the bench charts it.
// Floors: RSS and handles flat (≤ 5% growth from the third minute to the last), event-loop delay p99 ≤ 50 ms.
// Writes the JSON, and soak.svg beside it (bench/svg-chart.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { flags, printTable, round, writeJson } from './report.js';
import { chartSvg } from './svg-chart.js';
import { startBroker, type Broker } from '../lab/mosquitto.js';
import { startLocalJanus } from '../lab/janus.js';
import { startAgent, writeConfig, type AgentProcess } from '../lab/agent-process.js';
import { Observer } from '../lab/observer.js';
import { sleep, waitFor } from '../lab/wait.js';
import type { ProcessHealth, Telemetry } from '../core/payloads.js';

const BOX = 'vn-soak1';
const GROWTH_FLOOR_PCT = 5;
const LOOP_P99_FLOOR_MS = 50;
/** Growth is measured from this point on: the first minutes are start-up (heap and allocator arenas settling). */
const SETTLE_S = 120;

interface Sample {
  t: number;
  agent: ProcessHealth;
  worker: ProcessHealth | null;
  heard: boolean | null;
}

function displayDevices(pollS: number) {
  return {
    camera: { simulate: true },
    display: { protocol: 'samsung-mdc', simulate: true, pollS },
    panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23, relays: { display: 24 } },
  };
}

/** Traffic a hall's operators and people cause; each loop counts what it sent and what failed. */
class Traffic {
  readonly counts = { cameraMoves: 0, presses: 0, configPushes: 0, configApplied: 0, failures: 0 };
  readonly failures: string[] = [];
  private stopped = false;
  private loops: Array<Promise<void>> = [];

  constructor(private readonly obs: Observer) {}

  private cmd(name: string) {
    return `diemcau/v1/${BOX}/cmd/${name}`;
  }

  private async every(ms: number, what: string, fn: (i: number) => Promise<boolean>): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const t0 = Date.now();
      const ok = await fn(i).catch((err: Error) => (this.failures.push(`${what}: ${err.message}`), false));
      if (!ok) this.counts.failures++;
      // Observer keeps every message; a soak of hours must not grow the bench itself.
      this.obs.messages.splice(0, Math.max(0, this.obs.messages.length - 200));
      while (!this.stopped && Date.now() - t0 < ms) await sleep(Math.min(250, ms - (Date.now() - t0)));
    }
  }

  start(): void {
    const reply = async (name: string, args: unknown) => {
      const r = await this.obs.request(this.cmd(name), args, { timeoutMs: 15_000 });
      if (!r.ok) this.failures.push(`${name}: ${JSON.stringify(r.error)}`);
      return r.ok as boolean;
    };
    this.loops.push(
      this.every(2000, 'camera.move', async (i) => {
        this.counts.cameraMoves++;
        return reply('camera.move', { pan: ((i * 397) % 4000) - 2000, tilt: ((i * 131) % 600) - 300 });
      }),
      // Mute pressed and pressed again: the mic goes off and back on, the panel's LED follows, the state is
      // republished; the hall is muted for a moment only, so "heard" keeps its meaning at the samples.
      this.every(5000, 'panel.sim-press', async () => {
        this.counts.presses += 2;
        return (await reply('panel.sim-press', { button: 'mute', ms: 80 })) && reply('panel.sim-press', { button: 'mute', ms: 80 });
      }),
      this.every(60_000, 'config push', async (i) => {
        if (i === 0) return true; // the first minute runs on the config the box started with
        const version = i + 1;
        this.counts.configPushes++;
        const since = Date.now();
        const desired = { version, hall: { name: `Hội trường soak ${version}`, groups: ['soak'] }, devices: displayDevices(i % 2 ? 2 : 1) };
        await this.obs.publish(`diemcau/v1/${BOX}/config/desired`, JSON.stringify(desired), { retain: true });
        const s = await this.obs.wait(
          (m) => m.topic === `diemcau/v1/${BOX}/state` && m.json?.config?.version === version && m.json.config.status !== undefined,
          `state.config v${version}`,
          20_000,
          since,
        );
        if (s.json.config.status === 'applied') this.counts.configApplied++;
        else this.failures.push(`config v${version}: ${JSON.stringify(s.json.config)}`);
        return s.json.config.status === 'applied';
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** Growth of a quantity from the third minute (median of the minute after SETTLE_S) to the last minute (median). */
function growth(samples: Sample[], read: (s: Sample) => number | null | undefined, endS: number): { from: number; to: number; pct: number } | null {
  const pick = (a: number, b: number) => samples.filter((s) => s.t >= a && s.t < b).map(read).filter((v): v is number => typeof v === 'number');
  const from = median(pick(SETTLE_S, SETTLE_S + 60));
  const to = median(pick(endS - 60, endS + 1));
  if (!Number.isFinite(from) || !Number.isFinite(to) || from === 0) return null;
  return { from: round(from, 1), to: round(to, 1), pct: round(((to - from) / from) * 100, 1) };
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const minutes = f.has('hours') ? Number(f.get('hours')) * 60 : Number(f.get('minutes') ?? 10);
  const sampleS = Number(f.get('sample-s') ?? 10);
  // Growth is measured from minute 2 to the last minute: a shorter run reports none (and fails the floors).
  if (!(minutes > 0)) throw new Error(`soak: --minutes or --hours must be a positive number; got ${f.get('minutes') ?? f.get('hours')}`);
  const jsonPath = f.get('json') ?? join('bench', 'results', 'soak.json');
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-soak-'));
  let broker: Broker | null = null;
  let bridge: Awaited<ReturnType<typeof startLocalJanus>> | null = null;
  let agent: AgentProcess | null = null;
  let obs: Observer | null = null;
  let traffic: Traffic | null = null;
  const samples: Sample[] = [];
  let deaths = 0;
  let stopping = false;
  try {
    broker = await startBroker();
    // --no-media: the control plane alone (no bridge, no worker), light enough to run beside other work.
    const withMedia = !f.has('no-media');
    if (withMedia) bridge = await startLocalJanus();
    const media = { enabled: withMedia, simulate: true, width: 640, height: 360, fps: 30, maxBitrateKbps: 800 };
    const config = {
      box: { id: BOX },
      hall: { name: 'Hội trường soak', groups: ['soak'] },
      mqtt: { brokers: [broker.url], willDelayS: 5, stateThrottleMs: 250 },
      telemetry: { intervalS: sampleS },
      devices: displayDevices(1),
      media,
    };
    const configPath = await writeConfig(config, dir);
    obs = await Observer.connect(broker.url, [`diemcau/v1/${BOX}/#`]);
    agent = startAgent(configPath);
    const a = agent;
    await waitFor('the agent applying its config', () => obs!.messages.find((m) => m.topic.endsWith('/state') && m.json?.config?.status === 'applied'), { timeoutMs: 30_000 });
    if (bridge) {
      const join = await obs.request(`diemcau/v1/${BOX}/cmd/join`, { bridge: bridge.url, room: bridge.rooms[0], display: 'soak' }, { timeoutMs: 30_000 });
      if (!join.ok) throw new Error(`soak: join failed: ${JSON.stringify(join.error)}`);
    }
    let heard: boolean | null = null;
    const t0 = Date.now();
    obs.client.on('message', (topic, payload) => {
      if (topic.endsWith('/state')) heard = JSON.parse(payload.toString()).media?.heard ?? null;
      if (!topic.endsWith('/telemetry')) return;
      const tm = JSON.parse(payload.toString()) as Telemetry;
      if (tm.process) samples.push({ t: round((Date.now() - t0) / 1000, 1), agent: tm.process, worker: tm.mediaWorker ?? null, heard });
    });
    // An exit before the bench stops it is the agent dying (no launcher restarts it here): counted, never expected.
    a.proc.once('exit', () => void (stopping || deaths++));
    traffic = new Traffic(obs);
    traffic.start();
    console.log(`soak: ${minutes} min, telemetry every ${sampleS} s; agent pid ${a.proc.pid}, bridge ${bridge?.url ?? 'none (--no-media)'}`);
    for (let m = 1; m <= Math.ceil(minutes); m++) {
      await sleep(Math.max(0, t0 + Math.min(m, minutes) * 60_000 - Date.now()));
      const last = samples[samples.length - 1];
      console.log(`  minute ${m}: agent RSS ${last?.agent.rssMb} MB, handles ${last?.agent.handles}, fds ${last?.agent.fds}; worker RSS ${last?.worker?.rssMb} MB; ${JSON.stringify(traffic.counts)}`);
    }
    await traffic.stop();
    stopping = true;
  } finally {
    stopping = true;
    await traffic?.stop();
    await obs?.close();
    await agent?.stop();
    await bridge?.stop();
    await broker?.cleanup();
    await rm(dir, { recursive: true, force: true });
  }

  const endS = samples.length ? samples[samples.length - 1].t : 0;
  const who = { agent: (s: Sample) => s.agent, worker: (s: Sample) => s.worker };
  const rows = Object.entries(who).map(([name, get]) => {
    const loop = samples.map((s) => get(s)?.loopDelayMs.p99).filter((v): v is number => typeof v === 'number');
    return {
      process: name,
      rss: growth(samples, (s) => get(s)?.rssMb, endS),
      heap: growth(samples, (s) => get(s)?.heapMb, endS),
      handles: growth(samples, (s) => get(s)?.handles, endS),
      fds: growth(samples, (s) => get(s)?.fds, endS),
      loopP99MedianMs: loop.length ? median(loop) : null,
      loopP99WorstMs: loop.length ? Math.max(...loop) : null,
    };
  });
  const floors = rows.map((r) => ({
    process: r.process,
    rss_flat: r.rss !== null && r.rss.pct <= GROWTH_FLOOR_PCT,
    handles_flat: r.handles !== null && r.handles.pct <= GROWTH_FLOOR_PCT,
    loop_p99_ok: r.loopP99WorstMs !== null && r.loopP99WorstMs <= LOOP_P99_FLOOR_MS,
  }));
  const g = (x: { from: number; to: number; pct: number } | null) => (x ? `${x.from} → ${x.to} (${x.pct >= 0 ? '+' : ''}${x.pct}%)` : 'n/a');
  printTable(`soak: ${minutes} min in a meeting with device traffic; growth from minute ${SETTLE_S / 60} to the last minute (medians)`, rows.map((r) => ({
    process: r.process, rss_mb: g(r.rss), heap_mb: g(r.heap), handles: g(r.handles), fds: g(r.fds),
    loop_p99_median_ms: r.loopP99MedianMs, loop_p99_worst_ms: r.loopP99WorstMs,
  })));
  printTable(`floors: RSS and handles ≤ ${GROWTH_FLOOR_PCT}% growth, worst ${sampleS} s event-loop delay p99 ≤ ${LOOP_P99_FLOOR_MS} ms`, floors);
  const notHeard = samples.filter((s) => s.heard === false).length;
  printTable('traffic', [{ ...traffic!.counts, telemetry_samples: samples.length, samples_not_heard: notHeard, agent_deaths: deaths }]);
  for (const x of traffic!.failures.slice(0, 10)) console.log(`  failure: ${x}`);

  const series = (name: string, read: (s: Sample) => number | null | undefined) => ({
    name,
    points: samples.map((s) => [round(s.t / 60, 2), read(s) ?? null] as [number, number | null]),
  });
  const svg = chartSvg(`diemcau soak: ${minutes} min, one agent in a meeting with device traffic`, 'minutes', [
    { title: 'RSS (MB)', series: [series('agent', (s) => s.agent.rssMb), series('media worker', (s) => s.worker?.rssMb)] },
    { title: 'V8 heap in use (MB)', series: [series('agent', (s) => s.agent.heapMb), series('media worker', (s) => s.worker?.heapMb)] },
    { title: 'active handles', series: [series('agent', (s) => s.agent.handles), series('media worker', (s) => s.worker?.handles)] },
    { title: 'open file descriptors', series: [series('agent', (s) => s.agent.fds), series('media worker', (s) => s.worker?.fds)] },
    {
      title: `event-loop delay p99 per ${sampleS} s (ms)`,
      series: [series('agent', (s) => s.agent.loopDelayMs.p99), series('media worker', (s) => s.worker?.loopDelayMs.p99)],
      limit: { y: LOOP_P99_FLOOR_MS, label: `floor ${LOOP_P99_FLOOR_MS} ms` },
    },
  ]);
  const svgPath = join(dirname(jsonPath), 'soak.svg');
  await writeJson(jsonPath, { minutes, sample_s: sampleS, settle_s: SETTLE_S, summary: rows, floors, traffic: traffic!.counts, failures: traffic!.failures, samples_not_heard: notHeard, agent_deaths: deaths, samples });
  await writeFile(svgPath, svg);
  console.log(`wrote ${svgPath}`);
}
