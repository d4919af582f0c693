// A real ejabberd MQTT 5 cluster for tests and benches: N nodes, each in its own network namespace on one LAN
// (lab/netns.ts), each with its own config file, Mnesia directory and node name, all with this cluster's own Erlang
// cookie, joined with `join_cluster` as an operator joins them. Every process (each node's epmd and beam) is a child
// of the test, started without ejabberdctl's `su ejabberd` (which would read another cookie), and always stopped.
//
// A node is ready when its log says it loaded our config file and accepts MQTT on its address: the log, not a
// port probe, because a node that loaded another file (a typo in a path makes ejabberd fall back to nothing)
// would still listen somewhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm, readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLan, type Lan, type Netns } from './netns.js';
import { stopChild } from '../core/stop-child.js';
import { spawnWithTest } from './die-with-test.js';

/** Where Debian's ejabberd package puts its Erlang applications (ejabberdctl sets the same ERL_LIBS). */
const ERL_LIBS = '/usr/lib/x86_64-linux-gnu';

export interface EjabberdNode {
  index: number;
  /** Erlang node name, `ejabberd@<ip>`. */
  erlName: string;
  ip: string;
  url: string;
  ns: Netns;
  dir: string;
  proc: ChildProcess | null;
}

export interface EjabberdCluster {
  nodes: EjabberdNode[];
  urls: string[];
  /** mqtts:// URLs of the nodes' TLS listener (empty without `tlsPort`). */
  tlsUrls: string[];
  /** This host's address on the cluster's LAN (clients connect from it). */
  hostIp: string;
  /** Runs an ejabberdctl command against node `i` (from inside its namespace); resolves with its output. */
  ctl(i: number, args: string[]): Promise<string>;
  /** Starts node `i` (again): with the Mnesia directory it had, a node that was in the cluster rejoins it. */
  start(i: number): Promise<void>;
  /** SIGKILL: the node dies as a crashed host's would. SIGTERM: ejabberd shuts down and says so to its clients. */
  stop(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** The nodes the cluster runs on, as node `i` sees them. */
  running(i: number): Promise<string[]>;
  cleanup(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  /** ejabberd.yml as rendered (`diemcau-provision ejabberd-conf`), used as it is on every node. */
  config: string;
  /** The MQTT port that config listens on. */
  port: number;
  /** Its TLS listener's port, if it has one. */
  tlsPort?: number;
  /** Runs once the nodes' addresses are known, before any node starts (the broker certificate names them). */
  beforeStart?(ips: string[]): Promise<void>;
  /** Raise the open-file limit of each node (fleet benches). */
  nofile?: number;
}

function collect(proc: ChildProcess): () => string {
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return () => out;
}

function exitOf(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))));
}

export async function startEjabberdCluster(opts: ClusterOptions): Promise<EjabberdCluster> {
  const count = opts.nodes ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-ejabberd-'));
  const cookie = randomBytes(16).toString('hex');
  let lan: Lan | null = null;
  const epmds: ChildProcess[] = [];
  const nodes: EjabberdNode[] = [];

  const envOf = (n: EjabberdNode) => ({
    ...process.env,
    HOME: n.dir, // the cookie is read from $HOME/.erlang.cookie
    ERL_LIBS,
    EJABBERD_CONFIG_PATH: join(n.dir, 'ejabberd.yml'),
    EJABBERD_LOG_PATH: join(n.dir, 'ejabberd.log'),
    ERL_CRASH_DUMP_BYTES: '0',
    ERL_MAX_PORTS: String(Math.max(65536, opts.nofile ?? 0)),
  });

  const ctl = async (i: number, args: string[]): Promise<string> => {
    const n = nodes[i];
    const name = `ctl-${randomBytes(3).toString('hex')}@${n.ip}`;
    const [cmd, ...inNs] = n.ns.prefix;
    const proc = spawn(
      cmd,
      [...inNs, 'erl', '-name', name, '-start_epmd', 'false', '-hidden', '-noinput', '-s', 'ejabberd_ctl', '-extra', n.erlName, ...args],
      { env: envOf(n), cwd: n.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(proc);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
    const code = await exitOf(proc);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`ejabberdctl ${args.join(' ')} on ${n.erlName}: exit ${code}: ${output().trim()}`);
    return output();
  };

  const logOf = (n: EjabberdNode) => readFile(join(n.dir, 'ejabberd.log'), 'utf8').catch(() => '');

  const start = async (i: number): Promise<void> => {
    const n = nodes[i];
    if (n.proc) throw new Error(`ejabberd node ${n.erlName} is already running`);
    const from = (await stat(join(n.dir, 'ejabberd.log')).catch(() => null))?.size ?? 0;
    const limit = opts.nofile ? ['prlimit', `--nofile=${opts.nofile}`] : [];
    const args = ['-name', n.erlName, '-start_epmd', 'false', '-noinput', '+K', 'true', '+P', '1000000', '-mnesia', 'dir', `"${join(n.dir, 'mnesia')}"`, '-s', 'ejabberd'];
    const [cmd, ...inNs] = n.ns.prefix;
    const proc = spawnWithTest(cmd, [...inNs, ...limit, 'erl', ...args], { env: envOf(n), cwd: n.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    // Each `exec` in the chain (ip, prlimit, erl, erlexec) replaces the process: this pid is the node's beam.
    n.proc = proc;
    const output = collect(proc);
    proc.stdout!.resume();
    const deadline = Date.now() + 60_000;
    const loaded = `Loading configuration from ${join(n.dir, 'ejabberd.yml')}`;
    const listening = listeningLine(n, opts.port);
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        n.proc = null;
        throw new Error(`ejabberd node ${n.erlName} exited at start (${proc.exitCode ?? proc.signalCode}): ${output().trim().slice(-1500)}`);
      }
      const log = (await logOf(n)).slice(from);
      if (log.includes(loaded) && listening.test(log)) return;
      if (Date.now() > deadline) {
        throw new Error(`ejabberd node ${n.erlName}: no "${loaded}" and no MQTT listener on port ${opts.port} in its log after 60 s: ${log.slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const stop = async (i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const n = nodes[i];
    const proc = n.proc;
    n.proc = null;
    if (proc) await stopChild(proc, signal, 30_000);
  };

  const running = async (i: number): Promise<string[]> =>
    (await ctl(i, ['list_cluster']))
      .split('\n')
      .map((l) => l.trim().replace(/^'|'$/g, ''))
      .filter(Boolean)
      .sort();

  const cleanup = async () => {
    await Promise.all(nodes.map((n) => stop(n.index, 'SIGKILL')));
    await Promise.all(epmds.map((p) => stopChild(p, 'SIGKILL', 5000)));
    await lan?.close();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    lan = await createLan(count);
    for (const [index, m] of lan.members.entries()) {
      const n: EjabberdNode = {
        index,
        erlName: `ejabberd@${m.ip}`,
        ip: m.ip,
        url: `mqtt://${m.ip}:${opts.port}`,
        ns: m.ns,
        dir: join(dir, `node${index}`),
        proc: null,
      };
      nodes.push(n);
      await mkdir(join(n.dir, 'mnesia'), { recursive: true });
      await writeFile(join(n.dir, '.erlang.cookie'), cookie, { mode: 0o400 });
      await writeFile(join(n.dir, 'ejabberd.yml'), opts.config);
      // Each namespace has its own port space, so each node has its own epmd, which we own (not a daemon).
      const [cmd, ...inNs] = m.ns.prefix;
      const epmd = spawn(cmd, [...inNs, 'epmd'], { stdio: 'ignore' });
      epmds.push(epmd);
    }
    await opts.beforeStart?.(nodes.map((n) => n.ip));
    await Promise.all(nodes.map((n) => start(n.index)));
    // Joining restarts ejabberd on the joining node, which then copies every table from the cluster.
    for (const n of nodes.slice(1)) await ctl(n.index, ['join_cluster', nodes[0].erlName]);
    const want = nodes.map((n) => n.erlName).sort();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const seen = await running(0);
      if (seen.join() === want.join()) break;
      if (Date.now() > deadline) throw new Error(`ejabberd cluster: ${nodes[0].erlName} sees ${seen.join(', ')}, not ${want.join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await Promise.all(nodes.map((n) => waitListening(n, opts.port, logOf)));
  } catch (err) {
    await cleanup();
    throw err;
  }
  const tlsUrls = opts.tlsPort === undefined ? [] : nodes.map((n) => `mqtts://${n.ip}:${opts.tlsPort}`);
  return { nodes, urls: nodes.map((n) => n.url), tlsUrls, hostIp: lan.hostIp, ctl, start, stop, running, cleanup };
}

/** The log line of an MQTT listener on the node's address (or on every address) and `port`. */
function listeningLine(n: EjabberdNode, port: number): RegExp {
  const at = [n.ip, '0.0.0.0', '::', '[::]'].map((a) => a.replace(/[.[\]]/g, '\\$&')).join('|');
  return new RegExp(`Start accepting TCP connections at (${at}):${port} for mod_mqtt`);
}

/** After a join, the node's listener starts again: wait until its log says so as often as the node started. */
async function waitListening(n: EjabberdNode, port: number, logOf: (n: EjabberdNode) => Promise<string>): Promise<void> {
  const listening = new RegExp(listeningLine(n, port).source, 'g');
  const started = /is started in the node/g;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const log = await logOf(n);
    const count = (re: RegExp) => log.match(re)?.length ?? 0;
    if (count(listening) >= count(started) && count(started) > 0) return;
    if (Date.now() > deadline) throw new Error(`ejabberd node ${n.erlName}: not accepting MQTT on ${n.ip}:${port} after joining`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
