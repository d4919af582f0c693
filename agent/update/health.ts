// The new version's side of an A/B switch: on its trial start it proves itself (registered with the broker, devices
// answer, media worker starts) within a deadline and commits, or records the failure and asks the launcher to
// start the committed slot again. The checks are the agent's; this module only runs them and keeps the record.
import { readBoot, commitTrial, rollbackTrial, type Slot, type BootRecord } from './slots.js';
import type { Logger } from '../../core/log.js';

export interface HealthCheck {
  name: string;
  run(): Promise<void>;
}

export type TrialOutcome = { trial: false } | { trial: true; committed: true } | { trial: true; committed: false; reason: string };

function withTimeout(p: Promise<void>, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      (err) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });
}

/**
 * When this process runs a slot on trial (`slot` is the boot record's trial slot), runs every check and commits
 * or rolls back. The caller exits with RESTART_EXIT_CODE after a rollback.
 */
export async function settleTrial(
  root: string,
  slot: Slot,
  checks: HealthCheck[] | ((trial: NonNullable<BootRecord['trial']>) => HealthCheck[]),
  timeoutMs: number,
  log: Logger,
): Promise<TrialOutcome> {
  const boot = await readBoot(root);
  if (!boot.trial || boot.trial.slot !== slot) return { trial: false };
  for (const c of typeof checks === 'function' ? checks(boot.trial) : checks) {
    try {
      await withTimeout(c.run(), timeoutMs, `health check ${c.name}`);
    } catch (err) {
      const reason = `health check ${c.name} failed: ${(err as Error).message}`;
      log.error('update: rolling back', { version: boot.trial.version, reason });
      await rollbackTrial(root, reason);
      return { trial: true, committed: false, reason };
    }
  }
  await commitTrial(root);
  log.info('update: committed', { version: boot.trial.version, slot });
  return { trial: true, committed: true };
}
