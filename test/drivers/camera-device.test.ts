// The camera Device as the agent uses it, with `simulate: true`: the real driver over a real socat pty (and UDP) to
// the simulator; commands validated by their schemas and run through their handlers; sim-unplug.
import t from 'tap';
import { Value } from '../../core/schema/value.js';
import { createCameraDevice } from '../../agent/devices/camera.js';
import { CameraConfig } from '../../core/config/camera.js';
import { silentLogger } from '../../core/log.js';
import { DeviceRefusedError } from '../../core/errors.js';
import type { CommandSpec } from '../../core/commands/define.js';
import { waitFor } from '../../lab/wait.js';

function config(transport: 'serial' | 'udp'): CameraConfig {
  const cfg = Value.Default(CameraConfig, { transport, simulate: true }) as CameraConfig;
  t.ok(Value.Check(CameraConfig, cfg), 'config with defaults is valid');
  return cfg;
}

async function call(specs: CommandSpec[], name: string, args: unknown): Promise<unknown> {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new Error(`no command ${name}`);
  const a = Value.Default(spec.schema, structuredClone(args));
  if (!Value.Check(spec.schema, a)) throw new Error(`${name}: schema refuses ${JSON.stringify(args)}`);
  return spec.run(a);
}

for (const transport of ['serial', 'udp'] as const) {
  t.test(`simulated camera device over ${transport}`, async (t) => {
    const dev = createCameraDevice(config(transport), silentLogger);
    t.teardown(() => dev.stop());
    t.equal(dev.id, 'camera');
    t.equal(dev.kind, 'camera');
    let changes = 0;
    dev.on('change', () => changes++);
    await dev.start();
    await waitFor('camera health ok', () => dev.health(), { until: (h) => h.status === 'ok' });
    const specs = dev.commands();
    t.same(specs.map((s) => s.name).sort(), [
      'camera.focus', 'camera.home', 'camera.move', 'camera.power', 'camera.preset.recall', 'camera.preset.set',
      'camera.sim-unplug', 'camera.stop', 'camera.zoom',
    ]);
    for (const s of specs) t.ok(s.timeoutMs > 1000 && s.summary.length > 0, `${s.name}: timeout and summary`);

    const schema = (n: string) => specs.find((s) => s.name === n)!.schema;
    t.ok(Value.Check(schema('camera.move'), { direction: 'up-left', speed: 3 }));
    t.ok(Value.Check(schema('camera.move'), { pan: 100, tilt: -20, relative: true }));
    t.notOk(Value.Check(schema('camera.move'), { direction: 'sideways' }), 'unknown direction refused');
    t.notOk(Value.Check(schema('camera.move'), { direction: 'up', speed: 25 }), 'speed over 24 refused');
    t.notOk(Value.Check(schema('camera.preset.recall'), { n: 16 }), 'preset 16 refused');
    t.notOk(Value.Check(schema('camera.zoom'), { position: 20000 }), 'zoom past tele refused');

    await call(specs, 'camera.power', { on: true });
    await call(specs, 'camera.move', { pan: 400, tilt: 100, speed: 24 });
    t.match(await call(specs, 'camera.preset.set', { n: 4 }), { completed: true, state: { activePreset: 4 } });
    await call(specs, 'camera.home', {});
    await call(specs, 'camera.move', { direction: 'left', speed: 12 });
    t.equal(dev.report().moving, true);
    await call(specs, 'camera.stop', {});
    t.equal(dev.report().moving, false);
    await call(specs, 'camera.zoom', { position: 8000 });
    await call(specs, 'camera.zoom', { direction: 'tele', speed: 2 });
    await call(specs, 'camera.zoom', { direction: 'stop' });
    await call(specs, 'camera.focus', { mode: 'manual' });
    const recalled = (await call(specs, 'camera.preset.recall', { n: 4 })) as { state: Record<string, unknown> };
    t.match(recalled.state, { activePreset: 4, moving: false });
    await waitFor('position polled', () => dev.report(), { until: (r) => r.pan === 400 && r.zoom === 0 });
    t.match(dev.report(), { power: 'on', pan: 400, tilt: 100, zoom: 0, focus: 'manual', activePreset: 4, moving: false });
    t.ok(changes > 0, 'emitted change');

    await call(specs, 'camera.power', { on: false });
    await t.rejects(call(specs, 'camera.home', {}), DeviceRefusedError, 'standby refuses with the device error');
    await call(specs, 'camera.power', { on: true });

    // UDP has no link to lose: the driver notices only when a poll (every 1 s, 1 s to answer) goes unanswered.
    const seconds = transport === 'serial' ? 1 : 3;
    t.match(await call(specs, 'camera.sim-unplug', { seconds }), { unplugged: true });
    const gone = transport === 'serial' ? 'missing' : 'not answering';
    await waitFor(gone, () => dev.health(), { until: (h) => h.status === gone });
    await waitFor('camera health ok after the unplug', () => dev.health(), { until: (h) => h.status === 'ok' });
    await call(specs, 'camera.home', {});
    t.pass(`${gone} during the unplug, ok after, without restarting`);
  });
}

t.test('a real camera that is not there: missing, retried, commands fail clearly; a bad udp target is a config error', async (t) => {
  const cfg = Value.Default(CameraConfig, { port: '/dev/ttyDIEMCAU-absent' }) as CameraConfig;
  const dev = createCameraDevice(cfg, silentLogger);
  t.teardown(() => dev.stop());
  await dev.start();
  t.equal(dev.health().status, 'missing', 'start does not throw');
  t.match(dev.health().message, /^camera port \/dev\/ttyDIEMCAU-absent: cannot open: No such file/);
  await t.rejects(call(dev.commands(), 'camera.home', {}), { name: 'DisconnectedError', message: /port is not open \(missing\)/ });
  t.notOk(dev.commands().some((c) => c.name === 'camera.sim-unplug'), 'no sim-unplug on a real camera');
  t.throws(
    () => createCameraDevice(Value.Default(CameraConfig, { transport: 'udp', port: 'cam:99999' }) as CameraConfig, silentLogger),
    { name: 'ConfigError', message: /devices.camera.port: 'cam:99999' is not host:port for udp/ },
  );
});
