// The box's update commands, registered by the agent on its command router:
//   update         {url, version}: download the bundle, verify it, install it into the inactive slot, and restart
//                  into it (the launcher gives it one trial start). Refused `busy` during a meeting.
//   update.status  what runs, whether it is committed, and the last failed update with its reason.
// Both answer through the router's MQTT 5 response path, like every command.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KeyObject } from 'node:crypto';
import { Type } from '../schema/type.js';
import { command, type CommandSpec } from '../command.js';
import { DiemcauError, DisconnectedError } from '../errors.js';
import type { Logger } from '../log.js';
import { installBundle } from './install.js';
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
  /** Download limits; tests make them small. */
  download?: { maxBytes?: number };
}

const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

async function download(url: string, file: string, MAX_BUNDLE_BYTES: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new DisconnectedError(`update: cannot fetch ${url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new DisconnectedError(`update: ${url} answered HTTP ${res.status}`);
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > MAX_BUNDLE_BYTES) throw new DiemcauError('bad_request', `update: ${url} is ${len} bytes, more than ${MAX_BUNDLE_BYTES}`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file, { mode: 0o600 }));
}

export function updateCommands(d: UpdateDeps): CommandSpec[] {
  let running = false;
  const update = command({
    name: 'update',
    summary: 'Downloads, verifies and installs a signed bundle into the inactive slot, then restarts into it.',
    schema: Type.Object(
      { url: Type.String({ pattern: '^https?://' }), version: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    ),
    timeoutMs: 600_000,
    run: async (args) => {
      if (d.inMeeting()) throw new DiemcauError('busy', `update ${args.version}: the hall is in a meeting; send it again after`);
      if (running) throw new DiemcauError('busy', `update ${args.version}: an update is already being installed`);
      running = true;
      const file = join(d.root, 'incoming.bundle');
      try {
        await download(args.url, file, d.download?.maxBytes ?? MAX_BUNDLE_BYTES);
        const r = await installBundle({ root: d.root, bundle: file, trustedKeys: await d.trustedKeys(), installedVersion: d.installedVersion, inMeeting: d.inMeeting, expect: d.expectations?.() });
        if (r.version !== args.version) d.log.warn('update: bundle version differs from the command', { asked: args.version, got: r.version });
        d.log.info('update: installed; restarting into it', { version: r.version, slot: r.slot });
        setTimeout(d.restart, 300).unref();
        return { version: r.version, slot: r.slot, restarting: true };
      } finally {
        running = false;
        await rm(file, { force: true });
      }
    },
  });
  const status = command({
    name: 'update.status',
    summary: 'Answers the running version, whether it is committed, and the last failed update.',
    schema: Type.Object({}, { additionalProperties: false }),
    timeoutMs: 2000,
    run: async () => {
      const boot = await readBoot(d.root);
      const inst = await readInstalled(d.root, d.slot);
      return {
        running: inst?.version ?? d.installedVersion,
        slot: d.slot,
        committed: boot.committed === d.slot && !boot.trial,
        trial: boot.trial ?? null,
        lastFailure: boot.lastFailure ?? null,
      };
    },
  });
  return [update, status];
}
