// What the agent does when the launcher runs it from an A/B slot (DIEMCAU_UPDATE_ROOT and DIEMCAU_SLOT set): take
// the `update` commands, and on a trial start prove itself (agent-checks.ts) and commit, or roll back and exit
// with RESTART_EXIT_CODE so the launcher starts the last good slot.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Agent } from '../agent.js';
import type { Logger } from '../../core/log.js';
import { ENV_ROOT, ENV_SLOT } from './launcher.js';
import { INSTALLED, readBoot, type Slot } from './slots.js';
import { updateCommands } from './command.js';
import { settleTrial } from './health.js';
import { agentHealthChecks, expectationsOf } from './agent-checks.js';
import { publicKeyFromPem } from '../../core/bundle.js';
import { RESTART_EXIT_CODE } from './install.js';
import { readUpdateKey } from '../claim.js';

const TRIAL_CHECK_TIMEOUT_MS = 30_000;

export interface SlotContext {
  root: string;
  slot: Slot;
  version: string;
}

/** The slot this process runs from, or null when it was not started by the launcher. */
export function slotContext(env: NodeJS.ProcessEnv = process.env): SlotContext | null {
  const root = env[ENV_ROOT];
  const slot = env[ENV_SLOT];
  if (!root || (slot !== 'a' && slot !== 'b')) return null;
  const inst = JSON.parse(readFileSync(join(root, 'slots', slot, INSTALLED), 'utf8')) as { version: string };
  return { root, slot, version: inst.version };
}

/** Whether this start is the trial of an update: the boot record names this slot's trial. */
export async function isTrialStart(ctx: SlotContext): Promise<boolean> {
  return (await readBoot(ctx.root)).trial?.slot === ctx.slot;
}

/** Registers the update commands; call before agent.start(). `exit(code)` stops the agent and exits. */
export function registerUpdateCommands(ctx: SlotContext, agent: Agent, configPath: string, exit: (code: number) => void, log: Logger): void {
  const meeting = new Set(['joining', 'joined', 'recovering']);
  for (const c of updateCommands({
    root: ctx.root,
    slot: ctx.slot,
    installedVersion: ctx.version,
    trustedKeys: async () => [publicKeyFromPem(await readUpdateKey(dirname(configPath)))],
    inMeeting: () => meeting.has(agent.media?.report().status ?? 'idle'),
    expectations: () => expectationsOf(agent),
    restart: () => exit(RESTART_EXIT_CODE),
    log,
  })) {
    agent.router.register(c);
  }
}

/** After agent.start(): on a trial start, run the health checks and commit, or roll back and restart. */
export async function settleIfTrial(ctx: SlotContext, agent: Agent, exit: (code: number) => void, log: Logger): Promise<void> {
  const out = await settleTrial(
    ctx.root,
    ctx.slot,
    (trial) => agentHealthChecks(agent, trial.expect ?? { devices: [], media: false }),
    TRIAL_CHECK_TIMEOUT_MS,
    log,
  );
  if (out.trial && !out.committed) exit(RESTART_EXIT_CODE);
}
