// The box's wall clock stepped a day back and a day forward under a real agent, as NTP steps a box that ran on a
// wrong clock: libfaketime on the `diemcau run` process only (the machine's clock is not touched), the monotonic clock
// left alone as a step leaves it. What the agent measures as a duration must not follow the step: its reported
// state keeps following what runs (before the fix a step back held every state publish for the size of the step),
// ping's uptime stays the time it has run, and telemetry keeps being read. Skipped, saying why, without libfaketime.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { readTelemetry } from '../../agent/telemetry.js';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const skip = existsSync(LIBFAKETIME) ? false : `${LIBFAKETIME} is missing (apt-get install libfaketime; scripts/setup.sh does)`;

t.test('a real agent under wall-clock steps', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-clock-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const obs = await Observer.connect(broker.url);
  t.teardown(() => obs.close());
  const ID = 'vn-40031';
  const topic = (leaf: string) => `diemcau/v1/${ID}/${leaf}`;
  const offsetFile = join(dir, 'faketime');
  await writeFile(offsetFile, '+0\n');
  const path = await writeConfig({ box: { id: ID }, hall: { name: 'Before', groups: [] }, mqtt: { brokers: [broker.url], stateThrottleMs: 250 } }, dir);
  const startedAt = Date.now();
  const agent = startAgent(path, [], { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: offsetFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' });
  t.teardown(() => agent.stop());
  await obs.wait((m) => m.topic === topic('presence') && m.json?.state === 'online', 'box online', 15000);
  // A state publish before the step, so the throttle has a last publish to measure from.
  await obs.wait((m) => m.topic === topic('state') && m.json?.hall?.name === 'Before', 'first state', 10000);

  let version = 0;
  for (const offset of ['-1d', '+1d']) {
    t.test(`stepped ${offset}`, async (t) => {
      await writeFile(offsetFile, `${offset}\n`);
      t.teardown(() => writeFile(offsetFile, '+0\n'));
      const v = ++version;
      const since = Date.now();
      await obs.publish(topic('config/desired'), JSON.stringify({ version: v, hall: { name: `After ${v}`, groups: [] } }), { retain: true });
      const s = await obs.wait((m) => m.topic === topic('state') && m.json?.config?.version === v, `state reporting v${v}`, 10000, since).catch((err: Error) => err);
      t.notOk(s instanceof Error, `the state reports v${v} within 10 s of the push (${s instanceof Error ? s.message : 'yes'})`);
      const ping = await obs.request(topic('cmd/ping'), {});
      const ranS = (Date.now() - startedAt) / 1000;
      t.ok(ping.result.uptimeS >= 0 && ping.result.uptimeS <= ranS + 1, `uptime ${ping.result.uptimeS} s, and it has run ${ranS.toFixed(1)} s`);
    });
  }
});

t.test('telemetry is read again a second later, whatever the wall clock did meanwhile', async (t) => {
  // In this process: the wall clock stepped back a day by Date.now, which is all readTelemetry's cache could see.
  const realNow = Date.now;
  t.teardown(() => void (Date.now = realNow));
  const first = await readTelemetry(0);
  Date.now = () => realNow() - 86_400_000;
  await new Promise((r) => setTimeout(r, 1100));
  const second = await readTelemetry(0);
  t.not(second.ts, first.ts, 'a new reading');
  t.ok(second.loadavg !== first.loadavg, 'the readings of /proc taken again, not the cached ones');
});
