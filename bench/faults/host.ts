// The box's own faults: its wall clock jumping, its state directory's disk full, its serial camera unplugged.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../../lab/wait.js';
import type { Fault } from './runner.js';

export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/**
 * The agent's wall clock (and its media worker's) stepped by `offset` (libfaketime: `+1d`, `-1d`) for `forS`, then
 * stepped back to the true time, as an NTP step after a box ran on a wrong clock. The monotonic clock is left alone
 * (FAKETIME_DONT_FAKE_MONOTONIC), as a step leaves it; the machine's clock is never touched. libfaketime reads the
 * offset from a file on every call (FAKETIME_NO_CACHE), so the bench steps the clock of a running agent.
 */
export function clockJump(offset: string, forS: number): Fault {
  let file = '';
  return {
    name: `clock jump ${offset.startsWith('-') ? 'back' : 'forward'}`,
    how: `the agent's wall clock stepped ${offset} for ${forS} s, then back to the true time (libfaketime)`,
    async setup(world, id) {
      if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing: apt-get install libfaketime`);
      file = join(world.dir, `${id}-faketime`);
      await writeFile(file, '+0\n');
      const env = { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
      return { spec: { env }, undo: async () => {} };
    },
    async inflict() {
      await writeFile(file, `${offset}\n`);
      await sleep(forS * 1000);
      await writeFile(file, '+0\n');
    },
    // A box has nothing to notice: whatever it does must not depend on the wall clock being right.
    nothingToDetect: true,
    detected: () => null,
  };
}

/**
 * The state directory (config.json's folder) is a 256 KiB tmpfs the bench mounts; the fault fills it to the last
 * byte for `forS` while configs are pushed, then frees it. During the fault no push can be saved, so none may be
 * reported applied; once there is room the last one must be taken without another push.
 */
export function diskFull(forS: number): Fault {
  let dir = '';
  let fullFrom = Infinity;
  let versionAtFill = 0;
  return {
    name: 'disk full',
    how: `the state directory (a 256 KiB tmpfs) filled to the last byte for ${forS} s while configs were pushed`,
    async setup(world, id) {
      dir = join(world.dir, `${id}-etc`);
      await mkdir(dir, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
      return {
        spec: { configDir: dir },
        undo: async () => {
          execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        },
      };
    },
    async inflict(ctx) {
      const filler = join(dir, 'filler');
      const fh = await open(filler, 'w');
      try {
        for (let i = 0; i < 1024; i++) await fh.write(Buffer.alloc(1024, 0x55)); // bounded: 1 MiB > the mount
        throw new Error('disk full: the tmpfs never filled');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        await fh.close();
      }
      fullFrom = Date.now();
      // The truth from here on: what is on disk, which nothing can change until there is room again.
      versionAtFill = JSON.parse(await readFile(ctx.hall.configPath, 'utf8')).configVersion ?? 0;
      await sleep(forS * 1000);
      await rm(filler);
    },
    detected: (ctx) => ctx.timeline.firstSample((s) => s.state?.config?.refused?.code === 'disk_full', ctx.start)?.at ?? null,
    back: (ctx, s) => s.state?.config?.version === ctx.load.lastVersion && s.state?.config?.status === 'applied',
    lie: (ctx, s) =>
      s.at > fullFrom + 1000 && s.at < ctx.end && s.state?.config?.version > versionAtFill ? `config v${s.state.config.version} reported while it could not be saved` : null,
    recoverTimeoutMs: 60_000,
  };
}

/** The camera's serial line (a real socat pty the agent's simulated camera answers behind) removed and made again. */
export function serialUnplug(forS: number): Fault {
  const GRACE_MS = 5000;
  return {
    name: 'serial unplugged',
    how: `the camera's pty removed (socat ended) and made again ${forS} s later (camera.sim-unplug)`,
    async inflict(ctx) {
      const r = await ctx.world.obs.request(ctx.hall.topic('cmd/camera.sim-unplug'), { seconds: forS }, { timeoutMs: 15_000 });
      if (!r?.ok) throw new Error(`camera.sim-unplug: ${JSON.stringify(r?.error)}`);
      await sleep(forS * 1000);
    },
    detected: (ctx) => ctx.timeline.firstSample((s) => s.state?.devices?.camera?.health?.status !== 'ok', ctx.start)?.at ?? null,
    lie: (ctx, s) => (s.state?.devices?.camera?.health?.status === 'ok' && s.at > ctx.start + GRACE_MS && s.at < ctx.end ? 'camera ok while unplugged' : null),
  };
}
