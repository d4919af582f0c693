// The fleet's return after a broker restart over TLS, as carriers run it: a real Mosquitto with a TLS listener whose
// certificate the carrier CA signed (provisioning/ca.ts), boxes given the CA file. The mass window is the carrier's
// fleet size over the broker's rate, and a broker that cannot take a box (here: past its `max_connections`) makes
// that box wait twice as long, where a broker that is not listening yet does not.
import t from 'tap';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { startBroker } from '../../lab/mosquitto.js';
import { carrierTlsListener } from '../../lab/tls-listener.js';
import { Agent } from '../../agent/agent.js';
import { BrokerLink } from '../../agent/mqtt/broker-link.js';
import { parseConfig } from '../../agent/config/load.js';
import { createLogger, silentLogger } from '../../core/log.js';
import { waitFor } from '../../lab/wait.js';

// The two scenarios run at once, each with its own broker: the first reads spans of its own fleet's returns, the
// second reads delays its link drew (rand 0.99), not how long anything took.
t.jobs = 2;
const tls = await carrierTlsListener();
t.teardown(() => tls.cleanup());

/** `count` halls over TLS, told the carrier's fleet size and broker rate; resolves once all are connected. */
async function tlsFleet(prefix: string, count: number, rate: number): Promise<Agent[]> {
  const agents: Agent[] = [];
  for (let i = 0; i < count; i++) {
    const config = parseConfig(
      {
        box: { id: `vn-${prefix}${String(i).padStart(4, '0')}` },
        mqtt: { brokers: [tls.url], tls: { ca: tls.ca }, reconnect: { fleetSize: count, brokerConnectsPerS: rate } },
        telemetry: { intervalS: 60 },
      },
      'test',
    );
    const a = new Agent({ config, configPath: null, log: silentLogger, version: 'test' });
    agents.push(a);
    await a.start();
  }
  await Promise.all(agents.map((a) => (a.link.connected ? null : new Promise((r) => a.link.once('connected', r)))));
  // What each sends on connect read by the broker before it stops: a broker that stops with bytes of ours unread
  // resets the link instead of closing it, and a reset reads as our own link failing (docs/mqtt.md).
  await new Promise((r) => setTimeout(r, 1500));
  return agents;
}

/**
 * Seconds between the first and the last return of `agents` after a broker restart, and from the broker listening
 * again to the last return.
 */
async function returns(broker: Awaited<ReturnType<typeof startBroker>>, agents: Agent[], windowS: number): Promise<{ span: number; last: number }> {
  const connects: number[] = [];
  for (const a of agents) a.link.on('connected', () => connects.push(Date.now()));
  await broker.restart(200);
  const backAt = Date.now();
  await waitFor('every agent back over TLS', () => connects.length, { until: (n) => n >= agents.length, timeoutMs: (3 * windowS + 15) * 1000, everyMs: 100 });
  return { span: (Math.max(...connects) - Math.min(...connects)) / 1000, last: (Math.max(...connects) - backAt) / 1000 };
}

t.test('over TLS the fleet returns over fleetSize / brokerConnectsPerS: a faster broker, a shorter return', async (t) => {
  const broker = await startBroker({ extraConfig: tls.lines });
  t.teardown(() => broker.cleanup());
  const N = 40;
  // The same 40 halls told two rates in turn: 10 connects a second (a 4 s window), then 80 (0.5 s).
  const slow = await tlsFleet('70', N, 10);
  const { span: slowSpan, last: slowLast } = await returns(broker, slow, 4);
  await Promise.all(slow.map((a) => a.stop()));
  const fast = await tlsFleet('71', N, 80);
  t.teardown(() => Promise.all(fast.map((a) => a.stop())));
  const { span: fastSpan } = await returns(broker, fast, 0.5);
  t.ok(slowSpan > 2, `at 10 connects a second the return spans ${slowSpan.toFixed(1)} s of its 4 s window`);
  // A box that tried twice before the broker listened again draws over twice the window (agent/mqtt/backoff.ts,
  // reconnect.test.ts): on a busy machine the last return came 7.8 s after (run 42); a second more for slow connects.
  t.ok(slowLast < 2 * 4 + 1, `the last return ${slowLast.toFixed(1)} s after the broker's (bound: twice the 4 s window)`);
  t.ok(fastSpan < slowSpan / 2, `at 80 a second it spans ${fastSpan.toFixed(1)} s, against ${slowSpan.toFixed(1)} s`);
  const all = [...slow, ...fast].map((a) => a.link.status());
  t.equal(all.reduce((s, st) => s + st.connectTimeouts, 0), 0, 'no connect timed out');
  t.ok(all.every((st) => st.lastDrop?.cause === 'mass' && st.connects >= 2), 'each saw the restart as a mass event and registered again');
  t.ok(all.every((st) => typeof st.lastConnectMs === 'number'), 'each knows how long its connect took');
});

t.test('a broker that cuts the handshake doubles the window; one not listening yet does not', async (t) => {
  // Two clients at a time on the TLS listener: the next is accepted and closed at once, as Mosquitto refuses past
  // max_connections (no CONNACK, so no reason code: the box reads the cut itself).
  // Its own listener (another port): the first scenario's broker is listening at the same time.
  const tls = await carrierTlsListener();
  t.teardown(() => tls.cleanup());
  const broker = await startBroker({ extraConfig: [...tls.lines, 'max_connections 2'] });
  t.teardown(() => broker.cleanup());
  const lines: Array<Record<string, any>> = [];
  const log = createLogger({}, 'debug', (l) => lines.push(JSON.parse(l)));
  // rand 0.99: every delay is 99 % of its ceiling, so the window each retry was drawn over reads off the log.
  const link = new BrokerLink(
    {
      clientId: 'vn-72001',
      mqtt: parseConfig({ box: { id: 'vn-72001' }, mqtt: { brokers: [tls.url], tls: { ca: tls.ca }, reconnect: { minMs: 100, fleetSize: 4, brokerConnectsPerS: 2 } } }, 'test').mqtt,
      presenceTopic: 'diemcau/v1/vn-72001/presence',
      presence: (state) => JSON.stringify({ state }),
    },
    log,
    () => 0.99,
  );
  t.teardown(() => link.stop());
  const connected = (n: number) => waitFor(`registration ${n}`, () => link.status().connects >= n, { timeoutMs: 15_000 });
  link.start();
  await connected(1);
  const failures = () => lines.filter((l) => l.msg === 'broker connect failed');

  // The broker stopped: its port refuses. The retry is drawn over the same 2 s window (4 boxes at 2 a second).
  await broker.stop();
  const refused = await waitFor('an attempt on the stopped broker', () => failures()[0], { timeoutMs: 10_000 });
  t.equal(link.status().lastDrop?.cause, 'mass', 'the broker closing the link is a mass event');
  t.match(refused, { cause: 'mass', overloads: 0, retryInMs: 1980 }, 'refused: the next try drawn over the 2 s window again');
  await broker.start();
  await connected(2);

  // Restarted, and full before the box's first retry (1.98 s after the drop): its handshake is cut.
  const ca = readFileSync(tls.ca);
  await broker.restart(0);
  const blockers = await Promise.all(['b1', 'b2'].map((clientId) => mqtt.connectAsync(tls.url, { ca, clientId, reconnectPeriod: 0 })));
  t.teardown(() => Promise.all(blockers.map((b) => b.endAsync(true))));
  const cut = await waitFor('an attempt the broker cut', () => failures().find((l) => l.overloads > 0), { timeoutMs: 15_000 });
  t.match(cut, { cause: 'mass', overloads: 1, retryInMs: 3960 }, 'cut: the next try drawn over twice the window');
  await Promise.all(blockers.map((b) => b.endAsync(true)));
  await connected(3);
  t.equal(link.status().connectTimeouts, 0, 'no attempt timed out: the broker answered each at once');
  t.ok(typeof link.status().lastConnectMs === 'number', 'the link knows how long its connect took');
});
