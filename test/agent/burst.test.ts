// A burst of commands is queued up to a bound and every command gets exactly one answer. Every message of one
// socket read reaches the router before any handler finishes, so a burst must queue rather than trip the running
// limit; past the bound the excess, and only the excess, is answered `busy`. A real Mosquitto and a real
// `diemcau run` process; counts are compared, never times.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer, type Received } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { startTcpSimHost } from '../../drivers/display/sim-host.js';
import { COMMAND_SLOTS } from '../../agent/command-slots.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const dir = await mkdtemp(join(tmpdir(), 'diemcau-burst-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
// An operator's client that sends bursts announces a Receive Maximum: without one Mosquitto keeps 20 messages in
// flight to it and queues 1000 more, and drops the rest of the replies (docs/mqtt.md).
const obs = await Observer.connect(broker.url, ['diemcau/v1/+/reply/#'], { properties: { receiveMaximum: 65535 } });
t.teardown(() => obs.close());

/** Sends `n` commands at once, each with its own correlation data; resolves when the broker has taken them all. */
async function burst(box: string, name: string, args: unknown, n: number, replyTopic: string): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    sends.push(
      obs.publish(`diemcau/v1/${box}/cmd/${name}`, JSON.stringify(args), {
        properties: { responseTopic: replyTopic, correlationData: Buffer.from(String(i)), messageExpiryInterval: 120 },
      }),
    );
  }
  await Promise.all(sends);
}

/** Waits until `pred` holds over the replies on `topic`, giving up after `stillMs` without a new reply. */
async function settle(topic: string, pred: (rs: Received[]) => boolean, stillMs = 5000): Promise<Received[]> {
  let last = -1;
  let stillSince = Date.now();
  for (;;) {
    const rs = obs.messages.filter((m) => m.topic === topic);
    if (pred(rs)) return rs;
    if (rs.length !== last) [last, stillSince] = [rs.length, Date.now()];
    else if (Date.now() - stillSince > stillMs) return rs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Answers per correlation id: how many commands were answered once, more than once, and with which outcome. */
function tally(rs: Received[], n: number) {
  const seen = new Map<string, number>();
  const outcome: Record<string, number> = {};
  for (const r of rs) {
    const id = String(r.properties.correlationData);
    seen.set(id, (seen.get(id) ?? 0) + 1);
    const o = r.json?.ok ? 'ok' : (r.json?.error?.code ?? 'unreadable');
    outcome[o] = (outcome[o] ?? 0) + 1;
  }
  const missing = Array.from({ length: n }, (_, i) => String(i)).filter((id) => !seen.has(id)).length;
  return { answered: seen.size, twice: [...seen.values()].filter((c) => c > 1).length, missing, outcome };
}

t.test('5,000 pings at once: every one answered exactly once, none busy', async (t) => {
  const agent = startAgent(await writeConfig({ box: { id: 'vn-90001' }, mqtt: { brokers: [broker.url] } }, await mkdtemp(join(dir, 'box-'))));
  t.teardown(() => agent.stop());
  await agent.waitLog((l) => l.msg === 'registered with broker', 'registration');
  const N = 5000;
  await burst('vn-90001', 'ping', {}, N, 'diemcau/v1/vn-90001/reply/burst');
  const rs = await settle('diemcau/v1/vn-90001/reply/burst', (rs) => rs.length >= N);
  t.same(tally(rs, N), { answered: N, twice: 0, missing: 0, outcome: { ok: N } });
});

t.test('a burst above the bound: the excess, and only the excess, is answered busy', async (t) => {
  // The project's simulated display on TCP: it answers the agent's first poll, then goes silent, so each display
  // command holds its slot (waiting for a reply) until the test pulls the display's cable.
  const display = await startTcpSimHost('samsung-mdc', 1);
  t.teardown(() => display.stop());
  const agent = startAgent(
    await writeConfig({
      box: { id: 'vn-90002' },
      mqtt: { brokers: [broker.url] },
      devices: { display: { protocol: 'samsung-mdc', transport: 'tcp', port: display.address, replyTimeoutMs: 10000, pollS: 3600 } },
    }, await mkdtemp(join(dir, 'box-'))),
  );
  t.teardown(() => agent.stop());
  await agent.waitLog((l) => l.msg === 'display samsung-mdc: ok', 'display ok');
  await agent.waitLog((l) => l.msg === 'registered with broker', 'registration');
  display.sim.faults.silent = true;

  const EXCESS = 25;
  const N = COMMAND_SLOTS.running + COMMAND_SLOTS.waiting + EXCESS;
  const topic = 'diemcau/v1/vn-90002/reply/burst';
  await burst('vn-90002', 'display.volume', { level: 10 }, N, topic);
  const early = await settle(topic, (rs) => rs.length > EXCESS, 2000);
  t.same(tally(early, N).outcome, { busy: EXCESS }, `while the display holds ${N - EXCESS} commands, ${EXCESS} are refused busy`);

  await display.stop(); // the cable is pulled: what ran and what waited is answered now
  const rs = await settle(topic, (rs) => rs.length >= N);
  const all = tally(rs, N);
  t.equal(all.answered, N, 'every command answered');
  t.equal(all.twice, 0, 'none twice');
  t.equal(all.outcome.busy, EXCESS, 'busy for the excess only');
  t.equal(all.outcome.disconnected, N - EXCESS, 'the rest ran and found the display gone');
});
