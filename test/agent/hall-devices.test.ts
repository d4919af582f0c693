// A hall with simulated devices behind real ptys, driven over MQTT exactly as an operator would: the camera moves,
// the display switches, the talk button raises a floor request, and an unplugged device is reported and recovers.
import t from 'tap';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

const ID = 'vn-90001';
const agent = startAgent(
  await writeConfig({
    box: { id: ID },
    mqtt: { brokers: [broker.url], stateThrottleMs: 100 },
    devices: {
      camera: { simulate: true },
      display: { protocol: 'samsung-mdc', simulate: true, pollS: 0.5 },
      panel: { simulate: true, talkButton: 17, muteButton: 27, tallyLed: 22, statusLed: 23, relays: { display: 24 } },
    },
  }, await scratchDir(t, 'diemcau-test-')),
);
t.teardown(() => agent.stop());
const cmd = (name: string, args: unknown) => obs.request(`diemcau/v1/${ID}/cmd/${name}`, args, { timeoutMs: 30000 });
const devState = (pred: (d: any) => boolean, what: string, since = 0, timeoutMs = 15000) =>
  obs.wait((m) => m.topic === `diemcau/v1/${ID}/state` && !!m.json?.devices && pred(m.json.devices), what, timeoutMs, since);

const allOk = (d: any) => d.camera?.health.status === 'ok' && d.display?.health.status === 'ok' && d.panel?.health.status === 'ok';
// Every test below drives a device that must be up first: the fixture waits for that, not the first test.
t.before(() => devState(allOk, 'every device ok'));

t.test('every device reports ok in state', async (t) => {
  const s = await devState(allOk, 'all ok');
  t.match(s.json.devices, { camera: { health: { status: 'ok' } }, display: { health: { status: 'ok' } }, panel: { health: { status: 'ok' } } });
});

t.test('a camera preset recall and a move answer with the camera’s completion, and state follows', async (t) => {
  const set = await cmd('camera.move', { pan: 1200, tilt: -300, speed: 24 });
  t.equal(set.ok, true, JSON.stringify(set.error ?? ''));
  t.equal(set.result.state.pan, 1200);
  const stored = await cmd('camera.preset.set', { n: 3 });
  t.equal(stored.ok, true, JSON.stringify(stored.error ?? ''));
  const home = await cmd('camera.home', {});
  t.equal(home.ok, true, JSON.stringify(home.error ?? ''));
  const since = Date.now();
  const recall = await cmd('camera.preset.recall', { n: 3 });
  t.equal(recall.ok, true, JSON.stringify(recall.error ?? ''));
  t.equal(recall.result?.state.activePreset, 3);
  const s = await devState((d) => d.camera?.pan === 1200 && d.camera?.activePreset === 3, 'camera at preset 3 in state', since);
  t.equal(s.json.devices.camera.tilt, -300);
  const bad = await cmd('camera.preset.recall', { n: 99 });
  t.match(bad, { ok: false, error: { code: 'bad_request', message: /n: must be ≤ 15/ } });
});

t.test('camera arguments that fit neither form name the field and the reason (issue 11)', async (t) => {
  const move = await cmd('camera.move', { pan: 99999, tilt: 0 });
  t.match(move, { ok: false, error: { code: 'bad_request', message: /cmd\/camera\.move: bad arguments: pan: must be ≤ 32767 \(got 99999\)$/ } });
  t.same(move.error?.details, ['pan: must be ≤ 32767 (got 99999)']);
  const zoom = await cmd('camera.zoom', { position: 20000 });
  t.same(zoom.error?.details, ['position: must be ≤ 16384 (got 20000)'], JSON.stringify(zoom));
});

t.test('the display switches on and to an input, and state follows', async (t) => {
  const on = await cmd('display.power', { on: true });
  t.equal(on.ok, true, JSON.stringify(on.error ?? ''));
  const input = await cmd('display.input', { input: 'hdmi2' });
  t.equal(input.ok, true);
  await devState((d) => d.display?.power === 'on' && d.display?.input === 'hdmi2', 'display on hdmi2 in state');
});

t.test('the talk button raises a floor request for the operator', async (t) => {
  const since = Date.now();
  const press = await cmd('panel.sim-press', { button: 'talk', ms: 120 });
  t.equal(press.ok, true, JSON.stringify(press.error ?? ''));
  const ev = await obs.wait((m) => m.topic === `diemcau/v1/${ID}/event/floor`, 'floor event', 5000, since);
  t.equal(ev.json.box, ID);
  t.ok((ev.properties.messageExpiryInterval as number) > 0, 'the event expires if nobody reads it');
});

t.test('an unplugged display turns missing and comes back to ok with no restart', async (t) => {
  const since = Date.now();
  const r = await cmd('display.sim-unplug', { seconds: 2 });
  t.equal(r.ok, true, JSON.stringify(r.error ?? ''));
  await devState((d) => d.display?.health.status === 'missing' || d.display?.health.status === 'not answering', 'display missing', since);
  await devState((d) => d.display?.health.status === 'ok', 'display ok again', since + 2000, 20000);
  t.equal(agent.proc.exitCode, null, 'the agent never restarted');
  const pid = (await cmd('state.get', {})).result.agent.pid;
  t.equal(pid, agent.proc.pid);
});
