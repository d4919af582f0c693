// Bad byte streams between a real driver and a misbehaving simulator over a real pty: silence, garbage, truncated
// replies, late replies and refusals, and a pulled cable.
import t from 'tap';
import { DeviceRefusedError, DeviceTimeoutError, DisconnectedError } from '../../core/errors.js';
import { ptyTarget, tcpTarget, type Protocol } from './display-targets.js';
import type { SamsungMdcDriver } from '../../drivers/display/samsung-mdc.js';

// Every subtest has a rig of its own (a pty or a port, a simulator): they run side by side. The two fault runs are
// mostly waiting out timeouts and late replies, so two at a time keep their 1000 ms margins.
t.jobs = 2;

for (const protocol of ['samsung-mdc', 'lg'] as Protocol[]) {
  t.test(`${protocol}: faults`, async (t) => {
    // Timings leave 1000 ms or more either side of each edge (a 3 s reply timeout), so a loaded 2-core machine
    // with a CPU hog beside the suite still sees each event on its side of the edge.
    const rig = await ptyTarget(protocol).open(3000);
    t.teardown(() => rig.close());
    const { driver: d, sim } = rig;
    if (!sim) throw new Error('simulated target expected');
    await d.setPower(true);

    sim.faults.silent = true;
    const err = await d.setVolume(10).catch((e: unknown) => e);
    t.type(err, DeviceTimeoutError, 'silence -> DeviceTimeoutError');
    t.match((err as Error).message, /no reply to volume 10 within 3000 ms/, 'the timeout names the command');
    sim.faults.silent = false;

    sim.faults.garbageBytes = 40;
    await d.setVolume(11);
    t.equal((await d.query()).volume, 11, 'garbage before each reply is skipped');
    sim.faults.garbageBytes = 0;

    sim.faults.truncate = true;
    await t.rejects(d.setVolume(12), DeviceTimeoutError, 'a truncated reply is no reply');
    sim.faults.truncate = false;
    await d.setVolume(13);
    t.equal((await d.query()).volume, 13, 'the next whole reply is found after a truncated one');

    sim.faults.lateMs = 400;
    await d.setMute(true);
    sim.faults.lateMs = 0;
    t.equal((await d.query()).mute, true, 'a reply late but within the timeout is taken');
    sim.faults.lateMs = 4000;
    await t.rejects(d.setMute(false), DeviceTimeoutError, 'a reply later than the timeout times out');
    sim.faults.lateMs = 0;
    await new Promise((r) => setTimeout(r, 2000)); // the late reply (at 4 s) has come and gone
    await d.setVolume(14);
    t.equal((await d.query()).volume, 14, 'the stale late reply does not answer a later command');

    // A stale reply to the same kind of command arrives while the next one waits: it must not be taken.
    // volume 30 times out at 3000 ms, its ACK comes at 4000 ms, while volume 31 (sent at 3000 ms) waits for its
    // own ACK at 5000 ms.
    sim.faults.lateMs = 4000;
    await t.rejects(d.setVolume(30), DeviceTimeoutError);
    sim.faults.lateMs = 2000;
    await d.setVolume(31);
    t.equal(sim.model.volume, 31, 'the stale volume 30 reply was not taken for volume 31');
    sim.faults.lateMs = 0;

    sim.faults.refuseWith = 0x07;
    const nak = await d.setVolume(20).catch((e: unknown) => e);
    t.type(nak, DeviceRefusedError, 'a refusal -> DeviceRefusedError');
    t.equal((nak as DeviceRefusedError).deviceCode, protocol === 'lg' ? 'lg:NG07' : 'mdc:0x07', "carries the display's own code");
    t.match((nak as Error).message, /volume 20 refused/);
    sim.faults.refuseWith = null;
    await d.setVolume(21);
    t.equal(sim.model.volume, 21, 'works again once the set stops refusing');
  });
}

t.test('samsung-mdc: counts what it dropped', async (t) => {
  const rig = await ptyTarget('samsung-mdc').open(300);
  t.teardown(() => rig.close());
  rig.sim!.faults.garbageBytes = 25;
  await rig.driver.setPower(true);
  t.ok((rig.driver as SamsungMdcDriver).droppedBytes >= 25, 'garbage bytes are counted');
});

for (const target of [ptyTarget('samsung-mdc'), tcpTarget('samsung-mdc')]) {
  t.test(`${target.name}: unplug rejects what is waiting and closes the port`, async (t) => {
    const rig = await target.open(2000);
    t.teardown(() => rig.close());
    rig.sim!.faults.silent = true;
    // Bounded: a port that never closes fails here, naming it, rather than at the runner's timeout.
    const closed = new Promise<Error | undefined | 'never'>((resolve) => {
      rig.port.once('close', resolve);
      setTimeout(() => resolve('never'), 15000).unref();
    });
    const pending = rig.driver.setPower(true).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await rig.unplug!();
    const why = await closed;
    t.not(why, 'never', 'the port closed within 15 s of the unplug');
    t.type(why, DisconnectedError, 'the port reports the loss');
    await rig.driver.stop();
    t.type(await pending, DisconnectedError, 'the command in flight is rejected as disconnected, not left hanging');
  });
}
