// A desired config that moves the box to another broker (issue 11): the box publishes the state that reports the
// new version on the old broker, waits for that broker's acknowledgement, and only then moves. Seen from the old
// broker's side over a slow link (600 ms each way, a 3G uplink): the state with the new version is delivered there
// while the box is still connected, and the box's connection closes after it. Two real Mosquittos, a real
// `diemcau run`, a real TCP relay in front of the old broker.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { startTcpProxy } from '../../lab/tcp-proxy.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const ID = 'vn-42001';
const LINK_MS = 600;
const oldBroker = await startBroker();
t.teardown(() => oldBroker.cleanup());
const newBroker = await startBroker();
t.teardown(() => newBroker.cleanup());
const link = await startTcpProxy(oldBroker.port);
t.teardown(() => link.stop());
const atOld = await Observer.connect(oldBroker.url);
t.teardown(() => atOld.close());
const atNew = await Observer.connect(newBroker.url);
t.teardown(() => atNew.close());

const mqttOn = (url: string) => ({ brokers: [url], willDelayS: 2, stateThrottleMs: 100 });
const path = await writeConfig({ box: { id: ID }, mqtt: mqttOn(link.url) }, await scratchDir(t, 'diemcau-test-'));
const agent = startAgent(path);
t.teardown(() => agent.stop());

const state = `diemcau/v1/${ID}/state`;
await atOld.wait((m) => m.topic === state && m.json?.config?.status === 'applied', 'first state at the old broker', 15000);

t.test('the state with the new version reaches the old broker before the box leaves it', async (t) => {
  link.latencyMs = LINK_MS;
  const since = Date.now();
  // The move comes with a hall change and a new camera, as a handover to another region's carrier would: the
  // box has state to report while the move is under way.
  const desired = { version: 2, hall: { name: 'Hội trường mới', groups: [] }, devices: { camera: { simulate: true, transport: 'udp' } }, mqtt: mqttOn(newBroker.url) };
  await atOld.publish(`diemcau/v1/${ID}/config/desired`, JSON.stringify(desired), { retain: true });

  let closesWhenDelivered = -1;
  const delivered = await atOld.wait(
    (m) => {
      const hit = m.topic === state && m.json?.config?.version === 2;
      if (hit && closesWhenDelivered < 0) closesWhenDelivered = link.clientCloses;
      return hit;
    },
    'state with config v2 at the old broker',
    20000,
    since,
  );
  t.equal(delivered.json.config.status, 'applied');
  t.equal(closesWhenDelivered, 0, 'the box was still connected to the old broker when its state arrived there');

  const online = await atNew.wait((m) => m.topic === `diemcau/v1/${ID}/presence` && m.json?.state === 'online', 'box online at the new broker', 20000);
  t.ok(online.at >= delivered.at, 'the box came to the new broker after the old one had its state');
  t.equal(link.clientCloses, 1, 'and left the old broker');
  const s = await atNew.wait((m) => m.topic === state && m.json?.config?.version === 2, 'state v2 at the new broker', 10000);
  t.equal(s.json.hall.name, 'Hội trường mới');
  t.ok(agent.lines.some((l) => l.msg === 'broker move: the old broker acknowledged the new state'), 'the box logged the acknowledgement it waited for');
});
