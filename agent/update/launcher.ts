// The launcher systemd runs (systemd/diemcau.service: `node --lite-mode …/launcher.js --root /opt/diemcau -- run …`): at each start it
// asks the boot record which slot runs (agent/update/slots.ts, chooseSlot), writes the decision, runs that slot's
// entry with the remaining arguments, and starts again at once when the agent exits with RESTART_EXIT_CODE (a
// switch or a rollback). Any other exit ends the launcher with the agent's code, and systemd restarts it (among them
// ASKED_RESTART_EXIT_CODE: the centre's agent.restart).
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { chooseSlot, readBoot, readInstalled, writeBoot, slotDir, type Slot } from './slots.js';
import { removeTree, sweepStaleTemps } from '../../core/atomic-file.js';
import { RESTART_EXIT_CODE } from './install.js';
import { ASKED_RESTART_EXIT_CODE } from '../systemd.js';
import { createLogger, type Logger } from '../../core/log.js';

export const ENV_ROOT = 'DIEMCAU_UPDATE_ROOT';
export const ENV_SLOT = 'DIEMCAU_SLOT';

interface Exit {
  /** The agent's exit code, or 128 + the signal's number when a signal ended it (as a shell reports it). */
  code: number;
  signal: NodeJS.Signals | null;
}

function runChild(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve) => {
    // The launcher's own node flags (e.g. --lite-mode from the unit file) apply to the agent too.
    const child = spawn(process.execPath, [...process.execArgv, entry, ...args], { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve({ code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0), signal });
    });
    child.on('error', () => resolve({ code: 1, signal: null }));
  });
}

/**
 * Removes what a write cut short (a crash, a power cut) left in the update root: a temp file of the boot record, a
 * slot tree staged by an install (`slots/<x>.new`, as big as a slot). Safe here: no agent runs while the launcher
 * chooses, and only a running agent installs.
 */
async function clearCutWrites(root: string, log: Logger): Promise<void> {
  const temps = await sweepStaleTemps(root);
  const names = await readdir(join(root, 'slots')).catch(() => [] as string[]);
  const staged = names.filter((n) => n === 'a.new' || n === 'b.new');
  for (const n of staged) await removeTree(join(root, 'slots', n));
  if (temps.length > 0 || staged.length > 0) log.info('launcher: removed what an interrupted write left', { root, temps, staged });
}

/** Runs slots until the agent exits with something other than RESTART_EXIT_CODE; returns that code. */
export async function launch(root: string, args: string[], log: Logger): Promise<number> {
  for (;;) {
    await clearCutWrites(root, log);
    const boot = await readBoot(root);
    const [ia, ib] = await Promise.all([readInstalled(root, 'a'), readInstalled(root, 'b')]);
    const choice = chooseSlot(boot, { a: ia !== null, b: ib !== null }, new Date());
    if (choice.write) await writeBoot(root, choice.write);
    if (choice.rolledBack) log.warn('launcher: rolled back', { failed: choice.rolledBack, slot: choice.slot });
    const inst = choice.slot === 'a' ? ia : ib;
    if (!inst) {
      log.error('launcher: no installed slot to run', { root });
      return 1;
    }
    log.info('launcher: starting', { slot: choice.slot, version: inst.version, trial: choice.trial });
    const env: NodeJS.ProcessEnv = { ...process.env, [ENV_ROOT]: root, [ENV_SLOT]: choice.slot satisfies Slot };
    // systemd names the process it started (this launcher) in WATCHDOG_PID; the agent is the one that pings (the
    // unit's NotifyAccess=all takes it from a child), so the watchdog is handed on without it. Kept, the agent never
    // armed its heartbeat and systemd killed it every WatchdogSec.
    delete env.WATCHDOG_PID;
    const { code, signal } = await runChild(join(slotDir(root, choice.slot), inst.entry), args, env);
    if (code === RESTART_EXIT_CODE) continue;
    // Any other code goes on to systemd, which restarts the unit (a clean cgroup: no child of the agent survives).
    // ASKED_RESTART_EXIT_CODE, the centre's agent.restart, is one of them: a restart, not a failure.
    log[code === 0 || code === ASKED_RESTART_EXIT_CODE ? 'info' : 'warn']('launcher: the agent exited; passing its code on to systemd', {
      code,
      signal: signal ?? undefined,
      reason: code === ASKED_RESTART_EXIT_CODE ? 'restart asked by the centre' : undefined,
    });
    return code;
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const argv = process.argv.slice(2);
  const sep = argv.indexOf('--');
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const rest = sep < 0 ? [] : argv.slice(sep + 1);
  const i = own.indexOf('--root');
  if (i < 0 || !own[i + 1] || own.includes('--help')) {
    process.stderr.write('usage: launcher --root DIR [-- AGENT ARGS...]\n  Runs the committed or trial slot under DIR/slots/{a,b}.\n');
    process.exit(own.includes('--help') ? 0 : 2);
  }
  const code = await launch(own[i + 1], rest, createLogger({ part: 'launcher' }));
  process.exit(code);
}
