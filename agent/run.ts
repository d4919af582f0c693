// `diemcau run`: load the config (refuse a bad one before anything starts), run the agent, stop cleanly on SIGTERM
// within 2 s, and speak to systemd (READY, WATCHDOG from the main loop, STOPPING).
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_CONFIG_PATH, loadConfigFile, parseConfig } from './config/load.js';
import type { Config } from '../core/config/schema.js';
import { sweepStaleTemps } from '../core/atomic-file.js';
import { ConfigError, DiemcauError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { Agent } from './agent.js';
import { ASKED_RESTART_EXIT_CODE, SystemdNotifier } from './systemd.js';
import { createDevice } from './devices/compose.js';
import { createMedia } from './media/factory.js';

export interface RunOptions {
  configPath?: string;
  brokers?: string[];
  id?: string;
  version: string;
}

const STOP_DEADLINE_MS = 1800;
/** `agent.restart` waits this long after answering, so the reply leaves before the link closes. */
const RESTART_AFTER_REPLY_MS = 100;

async function resolveConfig(o: RunOptions): Promise<{ config: Config; path: string | null }> {
  const path = o.configPath ?? DEFAULT_CONFIG_PATH;
  let raw: Config | null = null;
  if (o.configPath !== undefined || existsSync(path)) raw = await loadConfigFile(path);
  else if (!o.id) {
    throw new ConfigError(path, ['(root): no config file; give --config FILE, or --id BOXID to run with defaults']);
  }
  const merged: Record<string, unknown> = raw ? structuredClone(raw) : { box: { id: o.id } };
  if (o.id) merged.box = { id: o.id };
  if (o.brokers) merged.mqtt = { ...((merged.mqtt as object) ?? {}), brokers: o.brokers };
  const source = raw ? `${path} (with command-line options)` : 'command-line options';
  return { config: parseConfig(merged, source), path: raw ? path : null };
}

export async function runAgent(o: RunOptions): Promise<void> {
  let resolved: { config: Config; path: string | null };
  try {
    resolved = await resolveConfig(o);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`diemcau: config refused: ${err.errors.length} error(s) in ${err.message.split(':')[0]}\n`);
      for (const e of err.errors) process.stderr.write(`  ${e}\n`);
      process.exit(2);
    }
    throw err;
  }
  let { config } = resolved;
  const { path } = resolved;
  let log = createLogger({ box: config.box.id });
  if (path) {
    // Temp files of saves cut short by a crash or a power cut (a failed save removes its own).
    const swept = await sweepStaleTemps(dirname(path));
    if (swept.length > 0) log.info('removed stale temp files', { dir: dirname(path), files: swept });
  }
  if (config.claim) {
    // A factory config: ask the carrier for this box's identity first (loads the claim code only when needed).
    if (!path) throw new ConfigError('command-line options', ['claim: a box that claims its identity needs --config FILE to store it']);
    const { ensureClaimed } = await import('./claim.js');
    config = await ensureClaimed(path, config, log);
    // Every line from here on names the box it now is, not `unclaimed`.
    log = createLogger({ box: config.box.id });
  }
  // Until a launcher-run start has settled (committed a trial, or found none), a restart could roll an update back.
  let trialPending = false;
  const agent = new Agent({
    config,
    configPath: path,
    log,
    version: o.version,
    deviceFactory: createDevice,
    mediaFactory: createMedia,
    restart: () => {
      if (trialPending) {
        throw new DiemcauError('busy', 'agent.restart: this start is the trial of an update and commits within 30 s; a restart now would roll the update back. Send it again after.');
      }
      log.info('restart asked by the centre', { exitCode: ASKED_RESTART_EXIT_CODE });
      setTimeout(() => void stop('agent.restart', ASKED_RESTART_EXIT_CODE), RESTART_AFTER_REPLY_MS);
    },
  });
  const systemd = new SystemdNotifier(log);

  let stopping = false;
  const stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    systemd.stop();
    const hard = setTimeout(() => {
      log.error('stop took too long: exiting', { deadlineMs: STOP_DEADLINE_MS });
      process.exit(1);
    }, STOP_DEADLINE_MS);
    hard.unref();
    await agent.stop();
    log.info('stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    // Unknown state: let systemd restart a clean process rather than limp on.
    log.error('uncaught exception: exiting for a restart', { err, stack: err.stack });
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err }));

  // Run from an A/B slot by the launcher: take update commands, and prove a trial start (agent/update/in-slot.ts).
  const slot = process.env.DIEMCAU_SLOT ? await import('./update/in-slot.js') : null;
  const ctx = slot?.slotContext() ?? null;
  trialPending = ctx !== null;
  const exit = (code: number) => void stop('update', code);
  if (slot && ctx && path) slot.registerUpdateCommands(ctx, agent, path, exit, log);

  log.info('starting', { version: o.version, config: path, brokers: config.mqtt.brokers, configVersion: config.configVersion, slot: ctx?.slot });
  await agent.start();
  systemd.start();
  if (slot && ctx) await slot.settleIfTrial(ctx, agent, exit, log);
  trialPending = false;
  agent.link.on('connected', (b: string) => systemd.status(`registered with ${b}`));
  agent.link.on('disconnected', (cause: string) => systemd.status(`broker link down (${cause}), reconnecting`));
}
