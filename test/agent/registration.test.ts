// Birth, will and clean stop: a real agent process against a real Mosquitto, watched by a second client.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

const config = (id: string, willDelayS: number) => ({
  box: { id },
  hall: { name: 'Hội trường thử', groups: ['test'] },
  mqtt: { brokers: [broker.url], willDelayS, sessionExpiryS: 30, stateThrottleMs: 100 },
  telemetry: { intervalS: 1 },
});

t.test('online presence, retained state and telemetry on registration; offline on a clean stop', async (t) => {
  // A will delay far longer than a stop could take on any machine: an offline before it is the agent's own.
  const WILL_DELAY_S = 30;
  const agent = startAgent(await writeConfig(config('vn-00001', WILL_DELAY_S), await scratchDir(t, 'diemcau-test-')));
  t.teardown(() => agent.stop('SIGKILL'));
  const online = await obs.wait((m) => m.topic === 'diemcau/v1/vn-00001/presence' && m.json?.state === 'online', 'online presence');
  t.equal(online.json.box, 'vn-00001');
  const state = await obs.wait((m) => m.topic === 'diemcau/v1/vn-00001/state', 'state');
  t.match(state.json, { agent: { version: /^\d+\.\d+\.\d+/ }, config: { version: 0, status: 'applied' }, network: { connected: true } });
  t.equal(state.json.hall.name, 'Hội trường thử');
  const tel = await obs.wait((m) => m.topic === 'diemcau/v1/vn-00001/telemetry', 'telemetry');
  t.type(tel.json.rssMb, 'number');
  t.ok(tel.json.rssMb > 10, 'rss is a real reading');
  t.ok((tel.properties.messageExpiryInterval as number) > 0, 'telemetry carries a message expiry');

  // The retained presence is what a late operator screen sees.
  const late = await Observer.connect(broker.url, []);
  t.teardown(() => late.close());
  await late.client.subscribeAsync('diemcau/v1/vn-00001/+', { qos: 1 });
  const retained = await late.wait((m) => m.topic.endsWith('/presence'), 'retained presence');
  t.equal(retained.retain, true);
  t.equal(retained.json.state, 'online');

  const t0 = Date.now();
  const stopped = await agent.stop('SIGTERM');
  // The agent bounds its own stop (run.ts exits 1 past its deadline), so exit 0 with "stopped" logged is a stop
  // within it, as measured by the agent and not by this busy test process.
  t.equal(stopped.code, 0, 'exits 0 on SIGTERM');
  t.ok(agent.lines.some((l) => l.msg === 'stopped'), 'stopped within the agent\'s stop deadline');
  const off = await obs.wait((m) => m.topic === 'diemcau/v1/vn-00001/presence' && m.json?.state === 'offline', 'offline presence', WILL_DELAY_S * 1000, t0);
  t.equal(off.json.reason, 'stopped', 'a clean stop publishes offline itself');
  t.ok(off.at - t0 < WILL_DELAY_S * 1000, `offline arrives at once (${off.at - t0} ms), not after the ${WILL_DELAY_S} s will delay`);
});

t.test('kill -9: the will says offline after the will delay, not before', async (t) => {
  const WILL_DELAY_S = 3;
  const agent = startAgent(await writeConfig(config('vn-00002', WILL_DELAY_S), await scratchDir(t, 'diemcau-test-')));
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-00002/presence' && m.json?.state === 'online', 'online presence');
  const killedAt = Date.now();
  await agent.stop('SIGKILL');
  // That the will comes at all is the wait (generous: the broker fires it on its own clock); when it comes, a
  // lower bound only: a busy machine makes it later, never earlier. 200 ms for the two clocks' resolution.
  const off = await obs.wait(
    (m) => m.topic === 'diemcau/v1/vn-00002/presence' && m.json?.state === 'offline',
    'offline will',
    WILL_DELAY_S * 1000 + 15_000,
    killedAt,
  );
  const after = off.at - killedAt;
  t.equal(off.json.reason, 'lost');
  t.ok(after >= WILL_DELAY_S * 1000 - 200, `not before the ${WILL_DELAY_S} s will delay (${after} ms)`);
});

t.test('a bad config file is refused before anything starts, with every error', async (t) => {
  const path = await writeConfig({ box: { id: 'Bad Id' }, mqtt: { brokers: ['http://x'], keepaliveS: 'often' }, extra: 1 }, await scratchDir(t, 'diemcau-test-'));
  const agent = startAgent(path);
  const { code } = await agent.exited;
  t.equal(code, 2);
  t.match(agent.stderr, /box\.id/);
  t.match(agent.stderr, /mqtt\.brokers\[0\]/);
  t.match(agent.stderr, /mqtt\.keepaliveS: must be a whole number/);
  t.match(agent.stderr, /extra: unknown field/);
  t.notOk(obs.messages.some((m) => m.topic.includes('Bad Id')), 'nothing was published');
});
