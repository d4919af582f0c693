// The box's update commands, registered by the agent on its command router:
//   update         {url, version}: download the bundle, verify it, install it into the inactive slot, and restart
//                  into it (the launcher gives it one trial start). Refused `busy` during a meeting.
//   update.status  what runs, whether it is committed, and the last failed update with its reason.
// Both answer through the router's MQTT 5 response path, like every command.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { command, type CommandSpec } from '../../core/commands/define.js';
import { updateCommands as defs } from '../../core/commands/update.js';
import { DiemcauError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { installBundle } from './install.js';
import { downloadBundle, type DownloadOptions } from './download.js';
import { readBoot, readInstalled, type Slot } from './slots.js';

export interface UpdateDeps {
  root: string;
  slot: Slot;
  installedVersion: string;
  trustedKeys: () => Promise<KeyObject[]>;
  inMeeting: () => boolean;
  /** What this version vouches for (agent-checks.ts expectationsOf), recorded for the new version's trial. */
  expectations?: () => { devices: string[]; media: boolean };
  /** Stops the agent cleanly and exits with RESTART_EXIT_CODE; called after the reply has gone. */
  restart: () => void;
  log: Logger;
  /** Download limits (download.ts DOWNLOAD_DEFAULTS: 512 MB cap, 30 s idle, 540 s in all, 5 redirects). */
  download?: Partial<DownloadOptions>;
}

export function updateCommands(d: UpdateDeps): CommandSpec[] {
  let running = false;
  const update = command(defs.update, 600_000, async (args) => {
      if (d.inMeeting()) throw new DiemcauError('busy', `update ${args.version}: the hall is in a meeting; send it again after`);
      if (running) throw new DiemcauError('busy', `update ${args.version}: an update is already being installed`);
      running = true;
      const file = join(d.root, 'incoming.bundle');
      try {
        await downloadBundle(args.url, file, d.download);
        const r = await installBundle({ root: d.root, bundle: file, trustedKeys: await d.trustedKeys(), installedVersion: d.installedVersion, inMeeting: d.inMeeting, expect: d.expectations?.() });
        if (r.version !== args.version) d.log.warn('update: bundle version differs from the command', { asked: args.version, got: r.version });
        d.log.info('update: installed; restarting into it', { version: r.version, slot: r.slot });
        setTimeout(d.restart, 300).unref();
        return { version: r.version, slot: r.slot, restarting: true };
      } finally {
        running = false;
        await rm(file, { force: true });
      }
  });
  const status = command(defs.status, 2000, async () => {
      const boot = await readBoot(d.root);
      const inst = await readInstalled(d.root, d.slot);
      return {
        running: inst?.version ?? d.installedVersion,
        slot: d.slot,
        committed: boot.committed === d.slot && !boot.trial,
        trial: boot.trial ?? null,
        lastFailure: boot.lastFailure ?? null,
      };
  });
  return [update, status];
}
