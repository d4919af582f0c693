// Installs a verified bundle into the inactive slot and arms it for one trial start. Order matters for power cuts:
// verify (nothing written), extract into `slots/<x>.new` while hashing the bytes again, mark it `.installed`, swap it
// into place, and only then write the boot record that names it. A crash before the last step leaves the box on
// the committed slot as if nothing happened; after it, the launcher gives the new slot one start.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createHash, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic, removeTree, makeDir, renameOver, fsyncDir, fillDir, syncAll } from '../../core/atomic-file.js';
import { DiemcauError } from '../../core/errors.js';
import { verifyBundle, BundleRefusedError, type Manifest } from '../../core/bundle.js';
import { readBoot, writeBoot, other, slotDir, INSTALLED, type Installed, type Slot } from './slots.js';

/** The exit code by which the agent asks its launcher to start again at once (into the new slot). */
export const RESTART_EXIT_CODE = 75;

export type InstallStep = 'verified' | 'extracting' | 'extracted' | 'placed' | 'switched';

export interface InstallOptions {
  root: string;
  bundle: string;
  trustedKeys: KeyObject[];
  installedVersion: string;
  /** True while the hall is in a meeting: no update then. */
  inMeeting: () => boolean;
  /** What the running version vouches for; the new version's trial must match it (agent-checks.ts). */
  expect?: { devices: string[]; media: boolean };
  /** Told of each step as it completes (state reports, logs). */
  onStep?: (step: InstallStep, manifest: Manifest) => void | Promise<void>;
  now?: Date;
}

/** Names a staged tree complete: `.installed`, written last (the launcher runs only a slot that has one). */
export function markInstalled(staging: string, installed: Installed): Promise<void> {
  return writeFileAtomic(join(staging, INSTALLED), JSON.stringify(installed) + '\n', 0o644);
}

/** Swaps a complete staged tree (`slots/<slot>.new`) in as `slots/<slot>`. */
export async function placeSlot(root: string, slot: Slot, staging: string): Promise<void> {
  const dir = slotDir(root, slot);
  await removeTree(dir);
  await renameOver(staging, dir);
  await fsyncDir(join(root, 'slots'));
}

/** Untars `file` from `offset` into `dir`, hashing the same bytes; resolves to the hex SHA-256 of what tar read. */
function extract(file: string, offset: number, dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const tar = spawn('tar', ['-xzf', '-', '-C', dir, '--no-same-owner'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    tar.stderr!.on('data', (d) => (err += d));
    const src = createReadStream(file, { start: offset });
    src.on('data', (c) => hash.update(c as Buffer));
    src.on('error', reject);
    src.pipe(tar.stdin!);
    tar.stdin!.on('error', () => {}); // tar exiting early is reported by its exit code
    tar.on('error', reject);
    tar.on('exit', (code) => (code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`tar: exit ${code}: ${err.trim()}`))));
  });
}

export async function installBundle(o: InstallOptions): Promise<{ version: string; slot: Slot }> {
  const { manifest, offset } = await verifyBundle(o.bundle, { trustedKeys: o.trustedKeys, installedVersion: o.installedVersion, now: o.now });
  const step = async (s: InstallStep) => o.onStep?.(s, manifest);
  await step('verified');
  if (o.inMeeting()) throw new DiemcauError('busy', `update ${manifest.version}: the hall is in a meeting; it installs after the meeting`);
  const boot = await readBoot(o.root);
  if (boot.trial) throw new DiemcauError('busy', `update ${manifest.version}: version ${boot.trial.version} is still on trial`);
  const slot = other(boot.committed);
  const dir = slotDir(o.root, slot);
  const staging = `${dir}.new`;
  await removeTree(staging);
  await makeDir(staging);
  await step('extracting');
  const sha = await fillDir(staging, () => extract(o.bundle, offset, staging));
  if (sha !== manifest.payload.sha256) {
    await removeTree(staging);
    throw new BundleRefusedError(o.bundle, 'tampered', 'payload changed while it was being installed');
  }
  // tar does not fsync; flush the staged tree before it is named complete.
  await syncAll();
  await markInstalled(staging, { version: manifest.version, entry: manifest.entry });
  await step('extracted');
  await placeSlot(o.root, slot, staging);
  await step('placed');
  await writeBoot(o.root, { committed: boot.committed, trial: { slot, version: manifest.version, starts: 0, ...(o.expect ? { expect: o.expect } : {}) } });
  await step('switched');
  return { version: manifest.version, slot };
}
