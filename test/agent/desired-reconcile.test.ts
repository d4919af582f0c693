// Desired config once it is saved (issue 11): the box reconciles what actually runs with the saved config and says
// so truthfully. A device that fails to start makes `state.config` `partial`, naming the step and the reason, and is
// tried again with backoff until it starts (then `applied`); media that cannot start is `partial` too, the new
// version stays saved and in force, and the same retained version arriving again does not turn it into `applied`.
// Real parts: a real Mosquitto, a real `diemcau run`, a real socat behind the simulated camera, the real media worker.
import t from 'tap';
import { readFile, symlink } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

const which = (cmd: string) => execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();

function boxTopics(id: string) {
  const state = `diemcau/v1/${id}/state`;
  return {
    desired: `diemcau/v1/${id}/config/desired`,
    stateWith: (pred: (s: any) => boolean, what: string, since = 0, timeoutMs = 20000) =>
      obs.wait((m) => m.topic === state && m.json && pred(m.json), what, timeoutMs, since),
    cmd: (name: string) => `diemcau/v1/${id}/cmd/${name}`,
  };
}

t.test('a device that fails to start: partial, naming the step and reason; retried until it starts, then applied', async (t) => {
  const ID = 'vn-41001';
  const box = boxTopics(ID);
  // A box whose PATH has a shell but no socat yet: the simulated camera's line (a socat pty pair) cannot start.
  const bin = await scratchDir(t, 'diemcau-bin-');
  for (const cmd of ['sh', 'rm']) await symlink(which(cmd), join(bin, cmd));
  const dir = await scratchDir(t, 'diemcau-test-');
  const path = await writeConfig({ box: { id: ID }, mqtt: { brokers: [broker.url], willDelayS: 2, stateThrottleMs: 100 } }, dir);
  const agent = startAgent(path, [], { PATH: bin });
  t.teardown(() => agent.stop());
  await box.stateWith((s) => s.config?.status === 'applied', 'first state');

  const since = Date.now();
  await obs.publish(box.desired, JSON.stringify({ version: 2, devices: { camera: { simulate: true } } }), { retain: true });
  const s = await box.stateWith((s) => s.config?.version === 2, 'state answering v2', since);
  t.equal(s.json.config.status, 'partial', `a device that did not start is not "applied": ${JSON.stringify(s.json.config)}`);
  t.equal(s.json.config.failed?.length, 1, 'one failed step');
  t.equal(s.json.config.failed?.[0]?.step, 'camera: start', 'the step is named');
  t.match(s.json.config.failed?.[0]?.message, /socat/, 'with the reason');
  t.equal(JSON.parse(await readFile(path, 'utf8')).configVersion, 2, 'the new version is saved');

  // socat arrives (a package installed): a retry starts the camera, and the state says so.
  await symlink(which('socat'), join(bin, 'socat'));
  const ok = await box.stateWith((s) => s.config?.version === 2 && s.config.status === 'applied', 'state applied after the retry', since, 40000);
  t.same(ok.json.config, { version: 2, status: 'applied' }, 'no failed steps left');
  t.equal(ok.json.devices?.camera?.health?.status, 'ok', 'the camera runs');
  const r = await obs.request(box.cmd('camera.home'), {});
  t.equal(r.ok, true, `the camera answers: ${JSON.stringify(r.error)}`);
});

t.test('media that cannot start: partial, the new version stays; the same version again does not make it applied', async (t) => {
  const ID = 'vn-41002';
  const box = boxTopics(ID);
  const dir = await scratchDir(t, 'diemcau-test-');
  const path = await writeConfig({ box: { id: ID }, mqtt: { brokers: [broker.url], willDelayS: 2, stateThrottleMs: 100 } }, dir);
  // A box where native addons cannot load: the agent runs, its media worker (@roamhq/wrtc) cannot.
  const agent = startAgent(path, [], { NODE_OPTIONS: '--no-addons' });
  t.teardown(() => agent.stop());
  await box.stateWith((s) => s.config?.status === 'applied', 'first state');

  const desired = JSON.stringify({ version: 2, media: { enabled: true, simulate: true } });
  let since = Date.now();
  await obs.publish(box.desired, desired, { retain: true });
  const s = await box.stateWith((s) => s.config?.status !== 'applied' || s.config.version === 2, 'state answering v2', since);
  t.equal(s.json.config.version, 2, `the saved version is the one in force: ${JSON.stringify(s.json.config)}`);
  t.equal(s.json.config.status, 'partial', 'media that did not start is not "applied"');
  t.equal(s.json.config.failed?.[0]?.step, 'media: start', 'the step is named');
  t.match(s.json.config.failed?.[0]?.message, /^media worker: exited at start: Error: .*wrtc/, 'with the reason: the error, not the tail of a stack');
  t.equal(JSON.parse(await readFile(path, 'utf8')).configVersion, 2, 'the new version is saved');

  // The carrier's retained desired arrives again (as it does on every reconnect): media still does not run.
  since = Date.now();
  await obs.publish(box.desired, desired, { retain: true });
  await agent.waitLog((l) => l.msg === 'desired config: same version, re-planned', 'the box taking the repeat');
  const r = await obs.request(box.cmd('state.get'), {});
  t.equal(r.result.config.status, 'partial', `still partial after the repeat: ${JSON.stringify(r.result.config)}`);
  t.equal(r.result.config.version, 2);
  const flipped = obs.messages.find((m) => m.at >= since && m.topic === `diemcau/v1/${ID}/state` && m.json?.config?.status === 'applied');
  t.equal(flipped, undefined, 'no state said applied meanwhile');
});
