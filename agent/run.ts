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
import { HeapCollector } from './heap-collect.js';
import type { Technician } from './technician/technician.js';

export interface RunOptions {
  configPath?: string;
  brokers?: string[];
  id?: string;
  version: string;
}

const STOP_DEADLINE_MS = 1800;
/** The agent's own full collection (heap-collect.ts): its garbage is a few hundred KB a minute (bench soak). */
const AGENT_GC_EVERY_MS = 60000;
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
  // While this start is the trial of an update (until it commits), a restart could roll the update back.
  let trialPending = false;
  let agent: Agent | null = null;
  // The technician's page (agent/technician/): imported only when it opens, so a box that never shows it pays nothing.
  let technician: Technician | null = null;
  const page = async (): Promise<Technician | null> => {
    const t = config.technician;
    if (!t.enabled || t.password === undefined) {
      log.warn('technician page: not served', { why: t.enabled ? 'no label password in the config (technician.password)' : 'technician.enabled is false' });
      return null;
    }
    if (!technician) technician = new (await import('./technician/technician.js')).Technician({ log, version: o.version });
    return technician;
  };
  const build = (cfg: Config, offline = false) =>
    new Agent({
      config: cfg,
      configPath: path,
      log,
      version: o.version,
      deviceFactory: createDevice,
      mediaFactory: createMedia,
      offline,
      technicianHold: () =>
        void page().then((t) => {
          if (!t || !agent) return;
          t.attach(agent);
          return t.open('panel hold');
        }),
      restart: () => {
        if (trialPending) {
          throw new DiemcauError('busy', 'agent.restart: this start is the trial of an update and commits within 30 s; a restart now would roll the update back. Send it again after.');
        }
        log.info('restart asked by the centre', { exitCode: ASKED_RESTART_EXIT_CODE });
        setTimeout(() => void stop('agent.restart', ASKED_RESTART_EXIT_CODE), RESTART_AFTER_REPLY_MS);
      },
    });
  const systemd = new SystemdNotifier(log);
  // Without it the agent's RSS rose 8.7% over a 50-minute soak, all of it garbage V8 had not yet collected.
  const heap = new HeapCollector();
  if (!heap.start(AGENT_GC_EVERY_MS)) log.warn('started without --expose-gc: its heap will creep until V8 collects', { flags: process.execArgv });

  let stopping = false;
  const stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    systemd.stop();
    heap.stop();
    const hard = setTimeout(() => {
      log.error('stop took too long: exiting', { deadlineMs: STOP_DEADLINE_MS });
      process.exit(1);
    }, STOP_DEADLINE_MS);
    hard.unref();
    await Promise.all([agent?.stop(), technician?.close('the agent stops')]);
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

  if (config.claim) {
    // A factory config: ask the carrier for this box's identity first (loads the claim code only when needed).
    if (!path) throw new ConfigError('command-line options', ['claim: a box that claims its identity needs --config FILE to store it']);
    // Kept until READY, which comes before the claim answer either way (on site, or waiting for the carrier).
    systemd.status(`claiming an identity as ${config.claim.serial}`);
    const t = await page();
    if (t) {
      // On site: the hall's devices, media and the technician page run while the box has no identity yet.
      agent = build(config, true);
      systemd.start();
      config = await t.claimOnSite(path, agent, log);
    } else {
      // The claim waits as long as the carrier is away: READY now, or the unit's start would time out and restart
      // the box again and again; the watchdog then guards the claim loop too.
      systemd.start();
      const { ensureClaimed } = await import('./claim.js');
      config = await ensureClaimed(path, config, log);
    }
    log = createLogger({ box: config.box.id });
  }
  agent = build(config);

  // Run from an A/B slot by the launcher: take update commands, and prove a trial start (agent/update/in-slot.ts).
  const slot = process.env.DIEMCAU_SLOT ? await import('./update/in-slot.js') : null;
  const ctx = slot?.slotContext() ?? null;
  // From the boot record, before the agent starts: a restart asked the moment the box is online is refused only
  // when there is a trial to settle (deciding by "not settled yet" refused it on every start, for a moment).
  trialPending = slot !== null && ctx !== null && (await slot.isTrialStart(ctx));
  const exit = (code: number) => void stop('update', code);
  if (slot && ctx && path) slot.registerUpdateCommands(ctx, agent, path, exit, log);

  log.info('starting', { version: o.version, config: path, brokers: config.mqtt.brokers, configVersion: config.configVersion, slot: ctx?.slot });
  // Before the start: a broker on the same host answers before runAgent gets back here (a STATUS= lost that way left
  // systemd's status empty). The notifier holds a status until READY.
  agent.link.on('connected', (b: string) => systemd.status(`registered with ${b}`));
  agent.link.on('disconnected', (cause: string) => systemd.status(`broker link down (${cause}), reconnecting`));
  await agent.start();
  if (!systemd.active) systemd.start();
  const onSite = technician as Technician | null; // set by the claim above (TypeScript cannot see into page())
  if (onSite) {
    // Claimed on site just now: the page stays open for its window, on the agent that now runs as the hall.
    onSite.attach(agent);
    await onSite.open('claimed');
  }
  if (slot && ctx) await slot.settleIfTrial(ctx, agent, exit, log);
  trialPending = false;
}
