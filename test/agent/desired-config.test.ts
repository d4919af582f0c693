// Retained desired config from the carrier: validated, saved atomically, applied and acknowledged in `state`; a bad
// one is refused with the field named, and the running config and the file stay as they were. Each test runs a box
// of its own, so none depends on what another applied.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig, type AgentProcess } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

interface Box {
  path: string;
  agent: AgentProcess;
  publishDesired(doc: unknown): Promise<void>;
  stateWith(pred: (s: any) => boolean, what: string, since?: number): ReturnType<Observer['wait']>;
}

/** A box whose carrier retained `desired` before the box ever connected: it must be applied on first contact. */
async function boxWith(t: Test, id: string, desired: unknown): Promise<Box> {
  const topic = `diemcau/v1/${id}/config/desired`;
  const publishDesired = (doc: unknown) => obs.publish(topic, typeof doc === 'string' ? doc : JSON.stringify(doc), { retain: true }).then(() => {});
  await publishDesired(desired);
  const path = await writeConfig({
    box: { id },
    hall: { name: 'Before', groups: ['old'] },
    mqtt: { brokers: [broker.url], willDelayS: 2, stateThrottleMs: 100 },
  }, await scratchDir(t, 'diemcau-test-'));
  const agent = startAgent(path);
  t.teardown(() => agent.stop());
  const stateWith = (pred: (s: any) => boolean, what: string, since = 0) =>
    obs.wait((m) => m.topic === `diemcau/v1/${id}/state` && pred(m.json), what, 10000, since);
  return { path, agent, publishDesired, stateWith };
}

const v1 = { version: 1, hall: { name: 'Hội trường xã Hòa Bình', groups: ['p-01', 'c-26734'] }, telemetry: { intervalS: 5 } };

t.test('retained desired config is applied, saved and acknowledged', async (t) => {
  const box = await boxWith(t, 'vn-40001', v1);
  const s = await box.stateWith((s) => s.config?.version === 1, 'state acking v1');
  t.equal(s.json.config.status, 'applied');
  t.equal(s.json.hall.name, 'Hội trường xã Hòa Bình');
  const saved = JSON.parse(await readFile(box.path, 'utf8'));
  t.equal(saved.configVersion, 1, 'the file holds the applied version');
  t.same(saved.hall.groups, ['p-01', 'c-26734']);
  t.equal(saved.telemetry.intervalS, 5);
  t.equal(saved.mqtt.brokers[0], broker.url, 'sections the carrier did not send are kept');
  // The new groups are live: a group command reaches the hall; the old group does not.
  const r = await obs.request('diemcau/v1/group/c-26734/cmd/ping', {});
  t.equal(r.box, 'vn-40001');
});

t.test('a bad desired config is refused with every field named; the old one keeps running', async (t) => {
  const box = await boxWith(t, 'vn-40002', v1);
  await box.stateWith((s) => s.config?.version === 1 && s.config.status === 'applied', 'state acking v1');
  const before = await readFile(box.path, 'utf8');
  const since = Date.now();
  await box.publishDesired({ version: 2, hall: { name: '', groups: ['Bad Group'] }, telemetry: { intervalS: 0 }, colour: 'red' });
  const s = await box.stateWith((s) => s.config?.status === 'refused', 'state refusing v2', since);
  t.equal(s.json.config.version, 1, 'still on v1');
  t.equal(s.json.config.refused.version, 2);
  const errs: string[] = s.json.config.refused.errors;
  t.ok(errs.some((e) => e.startsWith('hall.name:')), 'hall.name named');
  t.ok(errs.some((e) => e.startsWith('hall.groups[0]:')), 'hall.groups[0] named');
  t.ok(errs.some((e) => e.startsWith('telemetry.intervalS:')), 'telemetry.intervalS named');
  t.ok(errs.some((e) => e.startsWith('colour: unknown field')), 'unknown field named');
  t.equal(await readFile(box.path, 'utf8'), before, 'the file was not touched');
  const r = await obs.request('diemcau/v1/vn-40002/cmd/ping', {});
  t.equal(r.ok, true, 'the agent stays up');
});

t.test('malformed JSON and older versions are refused too', async (t) => {
  const box = await boxWith(t, 'vn-40003', v1);
  await box.stateWith((s) => s.config?.version === 1 && s.config.status === 'applied', 'state acking v1');
  let since = Date.now();
  await box.publishDesired('{"version": 3, ');
  let s = await box.stateWith((s) => s.config?.status === 'refused' && /not valid JSON/.test(s.config.refused.message), 'refusal of bad JSON', since);
  t.equal(s.json.config.version, 1);
  since = Date.now();
  await box.publishDesired({ version: 4, hall: { name: 'After', groups: [] } });
  s = await box.stateWith((s) => s.config?.version === 4, 'state acking v4', since);
  t.equal(s.json.hall.name, 'After');
  since = Date.now();
  await box.publishDesired({ version: 3, hall: { name: 'Older', groups: [] } });
  s = await box.stateWith((s) => s.config?.status === 'refused' && s.config.refused.version === 3, 'refusal of older version', since);
  t.match(s.json.config.refused.message, /older than the applied 4/);
  t.equal(s.json.hall.name, 'After');
});

t.test('after a restart the box runs the saved config before it hears from the broker', async (t) => {
  const box = await boxWith(t, 'vn-40004', { version: 4, hall: { name: 'After', groups: [] } });
  await box.stateWith((s) => s.config?.version === 4 && s.config.status === 'applied', 'state acking v4');
  await box.agent.stop('SIGKILL');
  const again = startAgent(box.path);
  t.teardown(() => again.stop());
  const started = await again.waitLog((l) => l.msg === 'starting', 'starting line');
  t.equal(started.configVersion, 4);
});
