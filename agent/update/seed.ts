// Puts the agent tree a Debian package installed (/usr/lib/diemcau/agent, owned by dpkg) into the A/B layout under
// /opt/diemcau (docs/provisioning.md), which updates write and dpkg must not own. The package's postinst runs it
// at every configure: a fresh box gets slot a; an upgrade goes into the slot that is not committed and is then
// committed, in the same order as an update (copy into `slots/<x>.new`, sync, `.installed`, swap, boot record), so
// a power cut leaves the old version committed or the new one, never a half tree. The package is the carrier's
// own choice of version: it is committed at once, without a trial, and the other slot keeps the version before.
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBoot, readInstalled, writeBoot, other, slotDir, type Slot } from './slots.js';
import { markInstalled, placeSlot } from './install.js';
import { fillDir, removeTree, syncAll } from '../../core/atomic-file.js';

/** The entry the launcher runs in a slot, as in a bundle's manifest. */
export const ENTRY = 'dist/agent/cli.js';

export interface Seeded {
  slot: Slot;
  version: string;
  /** False when the committed slot already held this version (a reconfigure). */
  changed: boolean;
}

export async function seedSlot(root: string, from: string): Promise<Seeded> {
  const version = (JSON.parse(await readFile(join(from, 'package.json'), 'utf8')) as { version: string }).version;
  const boot = await readBoot(root);
  const committed = await readInstalled(root, boot.committed);
  if (committed?.version === version && !boot.trial) return { slot: boot.committed, version, changed: false };
  const slot = committed ? other(boot.committed) : boot.committed;
  const staging = `${slotDir(root, slot)}.new`;
  await removeTree(staging);
  await fillDir(staging, () => cp(from, staging, { recursive: true, verbatimSymlinks: true }));
  await syncAll();
  await markInstalled(staging, { version, entry: ENTRY });
  await placeSlot(root, slot, staging);
  await writeBoot(root, { committed: slot });
  return { slot, version, changed: true };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const argv = process.argv.slice(2);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const root = value('--root');
  const from = value('--from');
  if (!root || !from) {
    process.stderr.write('usage: seed --root DIR --from TREE\n  Installs the agent tree TREE into the A/B slots under DIR and commits it.\n');
    process.exit(2);
  }
  try {
    const s = await seedSlot(root, from);
    console.log(s.changed ? `diemcau: version ${s.version} installed in ${slotDir(root, s.slot)} and committed` : `diemcau: version ${s.version} already committed in ${slotDir(root, s.slot)}`);
  } catch (err) {
    process.stderr.write(`diemcau: could not install ${from} into ${root}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
