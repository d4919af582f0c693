// Broker restarts, failover down the broker list, and the spread of a fleet's return after a mass event (the TLS
// side and the broker's rate: reconnect-tls.test.ts).
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';
import { Agent } from '../../agent/agent.js';
import { parseConfig } from '../../agent/config/load.js';
import { silentLogger } from '../../core/log.js';
import { waitFor } from '../../lab/wait.js';

t.test('after a broker restart the agent registers again and republishes its state', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const agent = startAgent(
    await writeConfig({ box: { id: 'vn-50001' }, mqtt: { brokers: [broker.url], reconnect: { massSpreadS: 1 } } }, await scratchDir(t, 'diemcau-test-')),
  );
  t.teardown(() => agent.stop());
  const obs = await Observer.connect(broker.url);
  t.teardown(() => obs.close());
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-50001/presence' && m.json?.state === 'online', 'first online');
  // The box's first telemetry is the last of what it sends on connect. A broker that stops with bytes of ours still
  // unread resets the connection instead of closing it, and a reset looks like our own link failing (docs/mqtt.md).
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-50001/telemetry', 'first telemetry');
  const restartAt = Date.now();
  await broker.restart(300);
  const again = await obs
    .wait((m) => m.topic === 'diemcau/v1/vn-50001/state' && m.json?.network?.connects === 2, 'state after re-registration', 15000, restartAt)
    .catch((err) => {
      console.error(obs.messages.map((m) => `${m.at - restartAt} ${m.topic} ${m.payload.toString().slice(150, 300)}`).join('\n'));
      console.error(agent.lines.map((l) => JSON.stringify(l)).join('\n'));
      throw err;
    });
  t.equal(again.json.network.lastDrop.cause, 'mass', 'a broker closing every link is a mass event');
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-50001/presence' && m.json?.state === 'online', 'online again', 5000, restartAt);
  const r = await obs.request('diemcau/v1/vn-50001/cmd/ping', {});
  t.equal(r.ok, true, 'commands work again');
});

t.test('fails over to the second broker URL, at start and when the first dies', async (t) => {
  const a = await startBroker();
  const b = await startBroker();
  t.teardown(() => Promise.all([a.cleanup(), b.cleanup()]));
  const obsB = await Observer.connect(b.url);
  t.teardown(() => obsB.close());
  await a.stop('SIGKILL');
  const agent = startAgent(
    await writeConfig({ box: { id: 'vn-50002' }, mqtt: { brokers: [a.url, b.url], reconnect: { minMs: 100, massSpreadS: 1 } } }, await scratchDir(t, 'diemcau-test-')),
  );
  t.teardown(() => agent.stop());
  const s = await obsB.wait((m) => m.topic === 'diemcau/v1/vn-50002/state', 'state on the second broker', 15000);
  t.equal(s.json.network.broker, b.url);

  // Now the second dies and the first is back: the agent moves again.
  await a.start();
  const obsA = await Observer.connect(a.url);
  t.teardown(() => obsA.close());
  await b.stop('SIGKILL');
  const s2 = await obsA.wait((m) => m.topic === 'diemcau/v1/vn-50002/state' && m.json?.network?.connected, 'state on the first broker', 15000);
  t.equal(s2.json.network.broker, a.url);
});

t.test('after a broker restart a fleet returns spread out at the broker\'s rate, not in the same second', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const N = 40;
  // The carrier's figures: 40 boxes, a broker that takes 10 connects a second: the fleet returns over 4 s.
  const RATE = 10;
  const WINDOW_S = N / RATE;
  const agents: Agent[] = [];
  const connects: number[] = [];
  for (let i = 0; i < N; i++) {
    const config = parseConfig(
      {
        box: { id: `vn-6${String(i).padStart(4, '0')}` },
        mqtt: { brokers: [broker.url], reconnect: { fleetSize: N, brokerConnectsPerS: RATE } },
        telemetry: { intervalS: 60 },
      },
      'test',
    );
    const a = new Agent({ config, configPath: null, log: silentLogger, version: 'test' });
    agents.push(a);
    await a.start();
  }
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  await Promise.all(agents.map((a) => (a.link.connected ? null : new Promise((r) => a.link.once('connected', r)))));
  for (const a of agents) a.link.on('connected', () => connects.push(Date.now()));
  const restartAt = Date.now();
  await broker.restart(200);
  const backAt = Date.now();
  // The deadline says only that they come back; how the returns lie is measured against the window they were
  // told (the fleet bench reports the peak per second for a real fleet).
  await waitFor('every agent back', () => connects.length, { until: (n) => n >= N, timeoutMs: (3 * WINDOW_S + 10) * 1000, everyMs: 100 });
  t.equal(connects.length, N, 'every agent came back');
  const offsets = connects.map((c) => (c - restartAt) / 1000).sort((x, y) => x - y);
  const perSecond = new Map<number, number>();
  for (const o of offsets) perSecond.set(Math.floor(o), (perSecond.get(Math.floor(o)) ?? 0) + 1);
  const peak = Math.max(...perSecond.values());
  // Spread evenly over 4 s, a second holds a quarter; all in one second is the behaviour this guards against.
  // Run 53 (beside stress-ng) saw 28 of 40 in one second: the broker's own return time is printed with the count.
  const seconds = [...perSecond.entries()].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s}s:${n}`).join(' ');
  t.ok(peak <= N * 0.6, `no second holds most returns (peak ${peak} of ${N}; per second ${seconds}; broker back after ${backAt - restartAt} ms)`);
  // The span between first and last return, not their time from the restart: a busy machine delays every connect
  // alike. Drawn within the window, the returns spread over most of it.
  const span = offsets[offsets.length - 1] - offsets[0];
  t.ok(span > WINDOW_S / 2, `returns span ${span.toFixed(1)} s of the ${WINDOW_S} s window`);
  // The last return, from the broker's: a box that tried before the broker listened again draws over the window
  // again, and one refused twice over twice the window (agent/mqtt/backoff.ts); a second more for slow connects. A
  // broker slow to restart on a busy machine refuses more of them twice (runs 26 and 32: 7.9 s, the 2W draw).
  const lastS = (connects.reduce((a, b) => Math.max(a, b)) - backAt) / 1000;
  t.ok(lastS < 2 * WINDOW_S + 1, `the last return ${lastS.toFixed(1)} s after the broker's (bound: twice the window, 2 x ${WINDOW_S} s)`);
});
