// How big a message the box takes. It announces a Maximum Packet Size in CONNECT (mqtt.maxPacketBytes, sized for
// the largest desired config), so the broker drops anything bigger for this box instead of sending it; and it
// refuses a command over mqtt.maxCommandBytes with `bad_request` before parsing it. A real Mosquitto, a real
// `diemcau run` process with the default limits.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer, type Received } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { parseConfig } from '../../agent/config/load.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());
const dir = await mkdtemp(join(tmpdir(), 'diemcau-size-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const agent = startAgent(await writeConfig({ box: { id: 'vn-70001' }, mqtt: { brokers: [broker.url] } }, dir));
t.teardown(() => agent.stop());
await obs.wait((m) => m.topic === 'diemcau/v1/vn-70001/presence' && m.json?.state === 'online', 'vn-70001 online');

const { maxPacketBytes, maxCommandBytes } = parseConfig({ box: { id: 'x' } }, 'defaults').mqtt;
/** A ping whose arguments are `bytes` long (JSON with one padding field the schema does not know). */
const padded = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - 10) });

async function send(payload: string, corr: string, waitMs: number) {
  const since = Date.now();
  await obs.publish('diemcau/v1/vn-70001/cmd/ping', payload, {
    properties: { responseTopic: 'diemcau/v1/vn-70001/reply/size', correlationData: Buffer.from(corr), messageExpiryInterval: 30 },
  });
  const isReply = (m: Received) => m.topic === 'diemcau/v1/vn-70001/reply/size' && String(m.properties.correlationData ?? '') === corr;
  return obs.wait(isReply, `reply to ${corr}`, waitMs, since).catch(() => null);
}

t.test('the defaults leave room for the largest desired config and keep commands far smaller', async (t) => {
  t.ok(maxPacketBytes >= 4 * 50_000, `packet size ${maxPacketBytes} bytes`);
  t.ok(maxCommandBytes * 8 <= maxPacketBytes, `command limit ${maxCommandBytes} bytes`);
});

t.test('a message over the packet size never reaches the box; the box stays connected and answers the next', async (t) => {
  await obs.client.subscribeAsync('diemcau/v1/vn-70001/reply/size', { qos: 1 });
  const huge = padded(maxPacketBytes + 50_000);
  t.equal(await send(huge, 'huge', 3000), null, `no answer to a ${huge.length}-byte command: the broker never delivered it`);
  const next = await send('{}', 'after-huge', 10000);
  t.equal(next?.json?.ok, true, 'the next command is answered');
  t.same(agent.lines.filter((l) => l.msg === 'broker link dropped'), [], 'the box kept its link');
  t.notOk(
    agent.lines.some((l) => JSON.stringify(l).includes('pad')),
    'nothing in the agent log about the oversized command',
  );
});

t.test('a command over the command limit but under the packet size is refused before parsing, naming both numbers', async (t) => {
  const big = padded(maxCommandBytes * 4);
  const r = await send(big, 'big', 10000);
  t.match(r?.json, {
    ok: false,
    error: { code: 'bad_request', message: `diemcau/v1/vn-70001/cmd/ping: payload is ${big.length} bytes, over the ${maxCommandBytes}-byte limit for commands` },
  });
  const under = padded(maxCommandBytes - 100);
  const u = await send(under, 'under', 10000);
  t.match(u?.json, { ok: false, error: { code: 'bad_request', message: /pad: unknown field/ } }, 'a command under the limit is parsed and checked as usual');
  // The reply comes over MQTT and the log line over the agent's stdout: the next test counts log lines from here on,
  // so this one must be in first (CI run 113: it arrived after, and was counted there).
  await agent.waitLog((l) => l.msg === 'command refused' && /pad: unknown field/.test(String(l.reason)), 'the refusal in the log');
});

t.test('a 10 MB command and a 10 MB desired config never reach the box; it stays up and takes the next of each', async (t) => {
  const tenMb = padded(10 * 1024 * 1024);
  const before = agent.lines.length;
  t.equal(await send(tenMb, 'ten-mb', 3000), null, 'no answer to a 10 MB command: the broker never delivered it');
  const since = Date.now();
  await obs.publish('diemcau/v1/vn-70001/config/desired', JSON.stringify({ version: 5, hall: { name: 'x'.repeat(10 * 1024 * 1024), groups: [] } }));
  t.equal((await send('{}', 'after-ten-mb', 10000))?.json?.ok, true, 'the next command is answered');
  const seen = agent.lines.slice(before).filter((l) => /desired config|command/.test(String(l.msg)));
  t.same(seen, [], 'the agent logged nothing about either: neither reached it');
  await obs.publish('diemcau/v1/vn-70001/config/desired', JSON.stringify({ version: 6, hall: { name: 'After', groups: [] } }));
  const state = await obs.wait(
    (m) => m.topic === 'diemcau/v1/vn-70001/state' && m.json?.config?.version === 6 && m.json.config.status === 'applied',
    'v6 applied',
    10000,
    since,
  );
  t.match(state.json.config, { version: 6, status: 'applied' }, 'the next desired config is applied');
  t.equal(agent.proc.exitCode, null, 'the agent process is still running');
  t.same(agent.lines.filter((l) => l.msg === 'broker link dropped'), [], 'the box kept its link');
});
