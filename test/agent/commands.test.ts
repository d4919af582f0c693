// Commands over MQTT 5 request/response: answered with correlation data; malformed, unknown, unexpiring and
// expired commands are refused or dropped, and the agent stays up.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

const config = (id: string, groups: string[]) => ({
  box: { id },
  hall: { name: `Hall ${id}`, groups },
  mqtt: { brokers: [broker.url], willDelayS: 2, sessionExpiryS: 60, stateThrottleMs: 100 },
});

const online = (id: string, since = 0) =>
  obs.wait((m) => m.topic === `diemcau/v1/${id}/presence` && m.json?.state === 'online', `${id} online`, 10000, since);

t.test('ping answers version and uptime, with the correlation data', async (t) => {
  const agent = startAgent(await writeConfig(config('vn-10001', ['g1']), await scratchDir(t, 'diemcau-test-')));
  t.teardown(() => agent.stop());
  await online('vn-10001');
  const r = await obs.request('diemcau/v1/vn-10001/cmd/ping', {});
  t.match(r, { box: 'vn-10001', cmd: 'ping', ok: true, result: { version: /\d/, uptimeS: Number } });

  t.test('malformed and unknown commands get error answers and the agent stays up', async (t) => {
    const bad = await obs.request('diemcau/v1/vn-10001/cmd/ping', null, { raw: '{not json' });
    t.match(bad, { ok: false, error: { code: 'bad_request', message: /cmd\/ping: payload is not JSON/ } });
    const unknown = await obs.request('diemcau/v1/vn-10001/cmd/fly', {});
    t.match(unknown, { ok: false, error: { code: 'unknown_command', message: /"fly"/ } });
    const args = await obs.request('diemcau/v1/vn-10001/cmd/ping', { extra: 1 });
    t.match(args, { ok: false, error: { code: 'bad_request', message: /extra: unknown field/ } });
    const arr = await obs.request('diemcau/v1/vn-10001/cmd/ping', null, { raw: '[1,2]' });
    t.match(arr, { ok: false, error: { code: 'bad_request' } });
    const noExpiry = await obs.request('diemcau/v1/vn-10001/cmd/ping', {}, { expiryS: null });
    t.match(noExpiry, { ok: false, error: { code: 'bad_request', message: /no message expiry/ } });
    const after = await obs.request('diemcau/v1/vn-10001/cmd/ping', {});
    t.equal(after.ok, true, 'still answering');
    t.equal(agent.proc.exitCode, null, 'still running');
  });

  t.test('commands.list names every command with its schema', async (t) => {
    const r = await obs.request('diemcau/v1/vn-10001/cmd/commands.list', {});
    t.ok(r.ok);
    const names = r.result.map((c: { name: string }) => c.name);
    t.ok(names.includes('ping') && names.includes('state.get'));
    t.equal(r.result.find((c: { name: string }) => c.name === 'ping').args.type, 'object');
  });
});

t.test('one message to a group reaches every hall in it, each answering for itself', async (t) => {
  const ids = ['vn-20001', 'vn-20002', 'vn-20003'];
  const agents = await Promise.all(
    ids.map(async (id, i) => startAgent(await writeConfig(config(id, i < 2 ? ['p-01', 'all'] : ['p-02', 'all']), await scratchDir(t, 'diemcau-test-')))),
  );
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  await Promise.all(ids.map((id) => online(id)));
  // One response topic cannot lie in every box's reply tree: a group command carries none, and each hall answers on
  // its own diemcau/v1/<box>/reply/<name>, with the correlation data.
  const isReply = (m: { topic: string; properties: Record<string, unknown> }) =>
    /^diemcau\/v1\/[^/]+\/reply\/ping$/.test(m.topic) && String(m.properties.correlationData) === 'group-1';
  const since = Date.now();
  await obs.publish('diemcau/v1/group/p-01/cmd/ping', '{}', { properties: { correlationData: Buffer.from('group-1'), messageExpiryInterval: 30 } });
  await obs.wait((m) => isReply(m) && m.json.box === 'vn-20002', 'reply from vn-20002', 10000, since);
  await obs.wait((m) => isReply(m) && m.json.box === 'vn-20001', 'reply from vn-20001', 10000, since);
  await new Promise((r) => setTimeout(r, 500));
  const boxes = obs.messages.filter((m) => isReply(m) && m.at >= since).map((m) => m.json.box).sort();
  t.same(boxes, ['vn-20001', 'vn-20002'], 'p-01 answers, p-02 does not');
});

t.test('an expired command never runs; one still valid does, after the box returns', async (t) => {
  const path = await writeConfig(config('vn-30001', []), await scratchDir(t, 'diemcau-test-'));
  let agent = startAgent(path);
  await online('vn-30001');
  await agent.stop('SIGTERM'); // the persistent session keeps its subscriptions while the box is away
  const replyTopic = 'diemcau/v1/vn-30001/reply/expiry';
  await obs.client.subscribeAsync(replyTopic, { qos: 1 });
  await obs.publish('diemcau/v1/vn-30001/cmd/ping', '{}', {
    properties: { responseTopic: replyTopic, correlationData: Buffer.from('stale'), messageExpiryInterval: 1 },
  });
  await obs.publish('diemcau/v1/vn-30001/cmd/ping', '{}', {
    properties: { responseTopic: replyTopic, correlationData: Buffer.from('fresh'), messageExpiryInterval: 60 },
  });
  await new Promise((r) => setTimeout(r, 2500));
  const since = Date.now();
  agent = startAgent(path);
  t.teardown(() => agent.stop());
  const fresh = await obs.wait((m) => m.topic === replyTopic && String(m.properties.correlationData) === 'fresh', 'fresh reply', 10000, since);
  t.equal(fresh.json.ok, true, 'the queued, unexpired command ran');
  await new Promise((r) => setTimeout(r, 1000));
  const stale = obs.messages.filter((m) => m.topic === replyTopic && String(m.properties.correlationData) === 'stale');
  t.equal(stale.length, 0, 'the expired command never ran');
});
