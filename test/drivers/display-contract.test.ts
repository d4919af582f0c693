// One contract per display protocol, run against the simulator over a real socat pty (and TCP for MDC), and
// against a real display when DIEMCAU_DISPLAY_PORT names one (see display-targets.ts).
import t from 'tap';
import { BadRequestError } from '../../core/errors.js';
import { hardwareTarget, ptyTarget, tcpTarget, type Target } from './display-targets.js';

const targets: Target[] = [ptyTarget('samsung-mdc'), tcpTarget('samsung-mdc'), ptyTarget('lg')];
const hw = hardwareTarget();
if (hw) targets.push(hw);

for (const target of targets) {
  t.test(target.name, async (t) => {
    const rig = await target.open();
    t.teardown(() => rig.close());
    const d = rig.driver;

    await d.setPower(true);
    t.equal((await d.query()).power, 'on', 'power on is read back');

    await d.setInput('hdmi2');
    t.equal((await d.query()).input, 'hdmi2', 'input hdmi2 is read back');
    await d.setInput('hdmi1');
    t.equal((await d.query()).input, 'hdmi1', 'input hdmi1 is read back');

    await d.setVolume(37);
    t.equal((await d.query()).volume, 37, 'volume 37 is read back');
    await d.setVolume(0);
    t.equal((await d.query()).volume, 0, 'volume 0 is read back');

    await d.setMute(true);
    t.equal((await d.query()).mute, true, 'mute on is read back');
    await d.setMute(false);
    t.equal((await d.query()).mute, false, 'mute off is read back');

    await t.rejects(d.setInput('hdmi9'), BadRequestError, 'unknown input is refused before anything is sent');
    await t.rejects(d.setVolume(101), BadRequestError, 'volume over 100 is refused');

    if (rig.sim) {
      t.same(
        { power: rig.sim.model.power, volume: rig.sim.model.volume, mute: rig.sim.model.mute },
        { power: true, volume: 0, mute: false },
        'the simulated set holds what the driver set',
      );
    }

    await d.setPower(false);
    t.equal((await d.query()).power, 'off', 'power off is read back');
  });
}
