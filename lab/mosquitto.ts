// A real Mosquitto broker for the demo, benches and tests: its own config, data dir and free loopback port, started as a child
// of the test and always stopped. `restart()` keeps the port, for reconnection tests.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freeTcpPort } from './ports.js';
import { stopChild } from '../core/stop-child.js';
import { spawnWithTest } from './die-with-test.js';

export interface Broker {
  port: number;
  url: string;
  dir: string;
  proc: ChildProcess | null;
  start(): Promise<void>;
  /** SIGTERM (clean shutdown) or SIGKILL (crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(downMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

export interface BrokerOptions {
  /** Extra lines for mosquitto.conf (password_file, acl_file, listeners...). */
  extraConfig?: string[];
  /** Allow anonymous clients (default true when no extraConfig names a password_file). */
  anonymous?: boolean;
  port?: number;
  /**
   * A config rendered elsewhere (`diemcau-provision broker-conf`) that brings its own listeners and security, used
   * as it is: only the plumbing (user, persistence, log) is added around it. `port` is the port it listens on.
   */
  rendered?: string[];
  /** Raise the open-file limit (for fleet benches). */
  nofile?: number;
  /** The loopback address it listens on (default 127.0.0.1; a rendered config must bind the same one). */
  host?: string;
  /**
   * How long a start may take to listen (default 10 s). Mosquitto 2.0 reads its password file and ACL before it
   * accepts: with a carrier's 10,400 boxes that is 4 s on a quiet machine here, and more under a fleet's load.
   */
  startTimeoutMs?: number;
}

function waitListening(port: number, timeoutMs: number, host: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`mosquitto: not listening on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startBroker(opts: BrokerOptions = {}): Promise<Broker> {
  if (opts.rendered && opts.port === undefined) throw new Error('startBroker: a rendered config needs the port it listens on');
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-mosq-'));
  const port = opts.port ?? (await freeTcpPort());
  const host = opts.host ?? '127.0.0.1';
  const anonymous = opts.anonymous ?? !(opts.extraConfig ?? []).some((l) => l.startsWith('password_file'));
  // Started as root, Mosquitto drops to the `mosquitto` user and can no longer read its own temp dir or 0600 files.
  const asRoot = process.getuid?.() === 0 && !(opts.extraConfig ?? []).some((l) => l.startsWith('user ')) ? ['user root'] : [];
  const conf = [
    ...asRoot,
    ...(opts.rendered ? [] : [`listener ${port} ${host}`, `allow_anonymous ${anonymous}`]),
    'persistence false',
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type error',
    'log_type warning',
    'max_keepalive 600',
    ...(opts.extraConfig ?? []),
    ...(opts.rendered ?? []),
  ];
  await writeFile(join(dir, 'mosquitto.conf'), conf.join('\n') + '\n');
  let stderr = '';
  const broker: Broker = {
    port,
    url: `mqtt://${host}:${port}`,
    dir,
    proc: null,
    async start() {
      const args = ['-c', join(dir, 'mosquitto.conf')];
      const limit = opts.nofile ? ['prlimit', `--nofile=${opts.nofile}`] : [];
      const [cmd, ...rest] = [...limit, 'mosquitto', ...args];
      const proc = spawnWithTest(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr!.on('data', (d) => (stderr += d));
      broker.proc = proc;
      const exited = new Promise<never>((_, reject) =>
        proc.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) at start: ${stderr.trim()} ${logErrors()}`.trim()))),
      );
      exited.catch(() => {});
      await Promise.race([waitListening(port, opts.startTimeoutMs ?? 10000, host), exited]);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const proc = broker.proc;
      broker.proc = null;
      if (proc) await stopChild(proc, signal, 5000);
    },
    async restart(downMs = 0) {
      await broker.stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await broker.start();
    },
    async cleanup() {
      await broker.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
  // Once it has logged, Mosquitto says why it stopped in its log file (its last lines), not on stderr.
  const logErrors = () => {
    const text = existsSync(join(dir, 'mosquitto.log')) ? readFileSync(join(dir, 'mosquitto.log'), 'utf8') : '';
    return text.trim().split('\n').slice(-5).join(' ');
  };
  try {
    await broker.start();
  } catch (err) {
    await broker.cleanup();
    throw err;
  }
  return broker;
}
