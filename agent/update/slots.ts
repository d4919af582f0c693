// A/B slots and the boot record that says which one runs. Layout under the update root:
//   slots/a/, slots/b/      one agent tree each; `.installed` (written last) names the version a slot holds
//   boot.json               { committed, trial?: { slot, version, starts }, lastFailure? }   (atomic writes only)
// At every start the launcher asks `chooseSlot`: a trial that has been started once already and never committed
// (its process died, or hung and was killed, or failed its health check) is rolled back to the committed slot.
// Config lives outside the slots (/etc/diemcau) and an update never touches it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '../../core/schema/type.js';
import { Value } from '../../core/schema/value.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ConfigError } from '../../core/errors.js';

export type Slot = 'a' | 'b';
const SlotT = Type.Union([Type.Literal('a'), Type.Literal('b')]);

export const BootRecord = Type.Object(
  {
    committed: SlotT,
    trial: Type.Optional(
      Type.Object({
        slot: SlotT,
        version: Type.String(),
        starts: Type.Integer({ minimum: 0 }),
        /** What the old version vouched for (devices that answered, media running): the new one must match. */
        expect: Type.Optional(
          Type.Object({ devices: Type.Array(Type.String()), media: Type.Boolean() }, { additionalProperties: false }),
        ),
      }),
    ),
    lastFailure: Type.Optional(Type.Object({ version: Type.String(), reason: Type.String(), at: Type.String() })),
  },
  { additionalProperties: false },
);
export type BootRecord = Static<typeof BootRecord>;

export const other = (s: Slot): Slot => (s === 'a' ? 'b' : 'a');
export const slotDir = (root: string, s: Slot) => join(root, 'slots', s);
export const INSTALLED = '.installed';

export interface Installed {
  version: string;
  entry: string;
}

export async function readInstalled(root: string, s: Slot): Promise<Installed | null> {
  try {
    const v = JSON.parse(await readFile(join(slotDir(root, s), INSTALLED), 'utf8')) as Installed;
    return typeof v.version === 'string' && typeof v.entry === 'string' ? v : null;
  } catch {
    return null;
  }
}

export async function readBoot(root: string): Promise<BootRecord> {
  const path = join(root, 'boot.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { committed: 'a' };
    throw err;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ConfigError(path, ['(root): not valid JSON']);
  }
  if (!Value.Check(BootRecord, v)) throw new ConfigError(path, ['(root): not a boot record']);
  return v;
}

export function writeBoot(root: string, b: BootRecord): Promise<void> {
  return writeFileAtomic(join(root, 'boot.json'), JSON.stringify(b) + '\n', 0o644);
}

export interface Choice {
  slot: Slot;
  /** The record to write before starting `slot` (null: unchanged). */
  write: BootRecord | null;
  trial: boolean;
  rolledBack?: string;
}

/**
 * Which slot to start, given the boot record and which slots hold a complete install. Pure.
 * A trial gets exactly one start; the second start of an uncommitted trial means the first one died.
 */
export function chooseSlot(b: BootRecord, complete: Record<Slot, boolean>, now: Date): Choice {
  if (b.trial) {
    const t = b.trial;
    if (t.starts === 0 && complete[t.slot]) {
      return { slot: t.slot, trial: true, write: { ...b, trial: { ...t, starts: 1 } } };
    }
    const reason = t.starts === 0 ? 'trial slot incomplete' : 'did not commit (died or failed its health check)';
    const rolled: BootRecord = { committed: b.committed, lastFailure: { version: t.version, reason, at: now.toISOString() } };
    return { slot: b.committed, trial: false, write: rolled, rolledBack: `${t.version}: ${reason}` };
  }
  if (!complete[b.committed] && complete[other(b.committed)]) {
    // Only reachable by hand-editing or a broken first install: run what exists.
    return { slot: other(b.committed), trial: false, write: { ...b, committed: other(b.committed) } };
  }
  return { slot: b.committed, trial: false, write: null };
}

/** Called by the new version once its health check passed: the trial slot becomes the committed one. */
export async function commitTrial(root: string): Promise<BootRecord> {
  const b = await readBoot(root);
  if (!b.trial) return b;
  const next: BootRecord = { committed: b.trial.slot };
  await writeBoot(root, next);
  return next;
}

/** Called by the new version when its health check failed: back to the committed slot at the next start. */
export async function rollbackTrial(root: string, reason: string, now = new Date()): Promise<BootRecord> {
  const b = await readBoot(root);
  if (!b.trial) return b;
  const next: BootRecord = { committed: b.committed, lastFailure: { version: b.trial.version, reason, at: now.toISOString() } };
  await writeBoot(root, next);
  return next;
}
