// A command's response topic is the caller's to choose, so the box checks it before publishing there: a wildcard
// in a PUBLISH is a protocol error that makes the broker drop the box (Mosquitto: DISCONNECT 0x82), and a topic
// outside the box's reply tree is dropped by the carrier's ACL without a word. Both are refused on the box's default
// reply topic with the correlation data, and the box stays registered. Run as deployed: the broker loads the
// password file and ACL the import rendered, and the box is a real `diemcau run` process with its own credential.
import t from 'tap';
import { carrierWithBroker } from '../../lab/provision-fixture.js';
import { Observer, type Received } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';

const c = await carrierWithBroker(2);
t.teardown(() => c.cleanup());
const ids = await c.store.identities();
const carrier = await c.store.carrier();
const [a, b] = Object.keys(ids).sort();
const ops = await Observer.connect(c.broker.url, ['diemcau/v1/#'], {
  username: carrier.service.username,
  password: carrier.service.password,
});
t.teardown(() => ops.close());

const agent = startAgent(
  await writeConfig({ box: { id: a }, mqtt: { brokers: [c.broker.url], username: a, password: ids[a].password, stateThrottleMs: 50 } }, c.dir),
);
t.teardown(() => agent.stop());
await ops.wait((m) => m.topic === `diemcau/v1/${a}/presence` && m.json?.state === 'online', `${a} online`);

/** Sends a ping with this response topic; the reply (on whatever topic it came), or null after 5 s. */
async function ping(responseTopic: string, corr: string) {
  const since = Date.now();
  await ops.publish(`diemcau/v1/${a}/cmd/ping`, '{}', {
    properties: { responseTopic, correlationData: Buffer.from(corr), messageExpiryInterval: 30 },
  });
  const isReply = (m: Received) => m.topic !== `diemcau/v1/${a}/cmd/ping` && String(m.properties.correlationData ?? '') === corr;
  return ops.wait(isReply, `reply to ${corr}`, 5000, since).catch(() => null);
}

t.test('wildcard, malformed and out-of-tree response topics are refused on the default reply topic', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['#', /response topic "#" has a wildcard/],
    ['+/x', /response topic "\+\/x" has a wildcard/],
    [`diemcau/v1/${a}/reply/#`, /has a wildcard/],
    ['ops/replies', /response topic "ops\/replies" is outside this box's reply tree/],
    [`diemcau/v1/${b}/reply/ping`, /is outside this box's reply tree/],
    [`diemcau/v1/${a}/reply//x`, /has an empty level/],
  ];
  for (const [i, [topic, message]] of cases.entries()) {
    const r = await ping(topic, `bad-${i}`);
    t.equal(r?.topic, `diemcau/v1/${a}/reply/ping`, `${topic}: answered on the default reply topic`);
    t.match(r?.json, { box: a, cmd: 'ping', ok: false, error: { code: 'bad_request', message } }, `${topic}: refused, saying why`);
    t.match(r?.json?.error?.message, `diemcau/v1/${a}/reply/`, `${topic}: the error names where replies may go`);
  }
  const good = await ping(`diemcau/v1/${a}/reply/ops-7`, 'good');
  t.equal(good?.topic, `diemcau/v1/${a}/reply/ops-7`, 'a response topic inside the tree is used');
  t.equal(good?.json?.ok, true);

  t.same(
    agent.lines.filter((l) => l.msg === 'broker link dropped'),
    [],
    'the box never lost its broker link',
  );
  const presence = ops.messages.filter((m) => m.topic === `diemcau/v1/${a}/presence`).map((m) => m.json?.state);
  t.same(presence, ['online'], 'presence said online once and never changed (no reconnect)');
  const state = ops.messages.filter((m) => m.topic === `diemcau/v1/${a}/state`).at(-1)?.json;
  t.equal(state?.network?.connects, 1, 'one connection for the whole run');
});
