// The media commands a hall answers (join, leave, mute, unmute, audio-only, quality, selftest, camera.snapshot,
// echo-calibrate): each spec from core/commands/media.ts bound to the controller, with its time limit and the
// checks that refuse a command in the wrong state (selftest outside a meeting, calibration inside one).
import { command, type CommandSpec } from '../../core/commands/define.js';
import { mediaCommands as c } from '../../core/commands/media.js';
import { BadRequestError } from '../../core/errors.js';
import type { MediaConfig } from '../../core/config/media.js';
import type { MediaController } from './controller.js';

export function mediaCommandHandlers(m: MediaController, cfg: MediaConfig): CommandSpec[] {
  const status = () => m.report().status;
  return [
    command(c.join, 20000, (a) => m.join(a)),
    command(c.leave, 8000, () => m.leave()),
    command(c.mute, 2000, async () => (await m.setMuted(true), m.report())),
    command(c.unmute, 2000, async () => (await m.setMuted(false), m.report())),
    command(c.audioOnly, 3000, async (a) => (await m.setAudioOnly(a.on), m.report())),
    command(c.quality, 3000, async (a) => (await m.setQuality(a.max), m.report())),
    command(c.selftest, 40000, (a) => {
      if (status() !== 'joined') throw new BadRequestError(`selftest: the hall is not in a meeting (media status ${status()})`);
      return m.selftest(a.seconds ?? 3);
    }),
    command(c.snapshot, 15000, async () => {
      if (!cfg.snapshot) throw new BadRequestError('camera.snapshot: off in this hall (media.snapshot is false in its config)');
      return m.snapshot('command');
    }),
    command(c.echoCalibrate, 90000, () => {
      if (status() !== 'idle') throw new BadRequestError(`echo-calibrate: only outside a meeting (media status ${status()})`);
      return m.echoCalibrate();
    }),
  ];
}
