// One contract for the VISCA driver, run against the simulated camera over a real socat pty (RS-232) and over real
// UDP sockets (VISCA over IP), and against a real camera when DIEMCAU_CAMERA_PORT names one:
//   DIEMCAU_CAMERA_PORT=/dev/ttyUSB0            (serial, 9600 8N1, address 1)
//   DIEMCAU_CAMERA_PORT=udp:192.168.0.100:52381 (VISCA over IP)
// On hardware the head really moves: clear the space in front of it first.
import t, { type Test } from 'tap';
import { openRig, type Rig } from '../../lab/visca-rig.js';
import { waitFor } from '../../lab/wait.js';
import { ViscaCamera } from '../../drivers/camera/visca-camera.js';
import { SerialBytePort } from '../../drivers/serial-port.js';
import { UdpBytePort } from '../../drivers/udp-port.js';
import { DeviceRefusedError } from '../../core/errors.js';
import type { ViscaSim } from '../../drivers/camera/visca-sim.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function contract(t: Test, camera: ViscaCamera, sim: ViscaSim | null): Promise<void> {
  await camera.start();
  await waitFor('health ok', () => camera.health(), { until: (h) => h.status === 'ok', timeoutMs: 20000 });
  t.equal(camera.health().status, 'ok', 'answers address set, IF_Clear and inquiries');

  await camera.power(true);
  t.equal(camera.report().power, 'on');
  t.equal((await camera.inquire('power')).on, true, 'power inquiry says on');

  await camera.moveTo(0, 0, 0x18);
  const start = await camera.inquire('pan-tilt-position');
  await camera.move('right', 8);
  t.equal(camera.report().moving, true, 'moving after a drive');
  await sleep(400);
  await camera.stopMotion();
  t.equal(camera.report().moving, false, 'not moving after stop');
  const after = await camera.inquire('pan-tilt-position');
  t.ok(after.pan > start.pan, `panned right (${start.pan} -> ${after.pan})`);
  await sleep(200);
  t.equal((await camera.inquire('pan-tilt-position')).pan, after.pan, 'stays where stop left it');

  await camera.moveTo(300, 120, 0x18);
  const abs = await camera.inquire('pan-tilt-position');
  const near = (a: number, b: number) => Math.abs(a - b) <= (sim ? 0 : 16);
  t.ok(near(abs.pan, 300) && near(abs.tilt, 120), `absolute move reached 300,120 (at ${abs.pan},${abs.tilt})`);
  await camera.moveTo(-100, -20, 0x18, true);
  const rel = await camera.inquire('pan-tilt-position');
  t.ok(near(rel.pan, 200) && near(rel.tilt, 100), `relative move reached 200,100 (at ${rel.pan},${rel.tilt})`);

  await camera.zoomTo(0x2000);
  t.ok(Math.abs((await camera.inquire('zoom-position')).position - 0x2000) <= (sim ? 0 : 0x40), 'zoom direct');
  await camera.zoom('wide', 7);
  await sleep(100);
  await camera.zoom('stop');
  t.ok((await camera.inquire('zoom-position')).position < 0x2000, 'zoomed wide');

  await camera.focus('manual');
  t.equal((await camera.inquire('focus-mode')).mode, 'manual');
  await camera.focus('auto');
  t.equal((await camera.inquire('focus-mode')).mode, 'auto');

  // Ten presets stored at ten places, then each recalled: the head goes back and the agent knows which is active.
  for (let n = 0; n < 10; n++) {
    await camera.moveTo(n * 100 - 500, n * 20, 0x18);
    await camera.presetSet(n);
    t.equal(camera.report().activePreset, n);
  }
  await camera.home();
  t.equal(camera.report().activePreset, null, 'home leaves no preset active');
  for (const n of [3, 9, 0]) {
    await camera.presetRecall(n);
    const p = await camera.inquire('pan-tilt-position');
    t.ok(near(p.pan, n * 100 - 500) && near(p.tilt, n * 20), `preset ${n} recalled (${p.pan},${p.tilt})`);
    t.equal(camera.report().activePreset, n);
  }
  await camera.move('up', 4);
  t.equal(camera.report().activePreset, null, 'a move clears the active preset');
  await camera.stopMotion();

  await camera.power(false);
  t.equal((await camera.inquire('power')).on, false, 'standby');
  const refused = await camera.home().then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(refused instanceof DeviceRefusedError, 'home in standby is refused');
  t.equal((refused as DeviceRefusedError).deviceCode, 'visca:41', "with the device's code");
  t.match((refused as Error).message, /pan-tilt home refused: command not executable \(visca:41\)/);
  await camera.power(true);
  await camera.home();
  await camera.stop();
  t.equal(camera.health().status, 'stopped');
}

for (const transport of ['serial', 'udp'] as const) {
  t.test(`contract: simulator over ${transport === 'serial' ? 'a socat pty' : 'UDP'}`, async (t) => {
    const rig: Rig = await openRig(transport);
    t.teardown(() => rig.close());
    await contract(t, rig.camera, rig.host.sim);
    t.ok(rig.host.sim.received > 40, `the simulator saw the real bytes (${rig.host.sim.received} requests)`);
  });
}

const hw = process.env.DIEMCAU_CAMERA_PORT;
t.test('contract: real camera (DIEMCAU_CAMERA_PORT)', { skip: hw ? false : 'DIEMCAU_CAMERA_PORT not set' }, async (t) => {
  const m = /^udp:([^:]+):(\d+)$/.exec(hw!);
  const port = m
    ? new UdpBytePort({ host: m[1], port: Number(m[2]), localPort: Number(m[2]), label: 'camera port' })
    : new SerialBytePort({ path: hw!, baudRate: Number(process.env.DIEMCAU_CAMERA_BAUD ?? 9600), label: 'camera port' });
  const camera = new ViscaCamera({ port, transport: m ? 'udp' : 'serial', address: 1 });
  t.teardown(() => camera.stop());
  await contract(t, camera, null);
});
