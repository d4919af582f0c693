// `npm run bench -- provision --json FILE`: a carrier's day one on one machine. Imports a CSV of 10,400 synthetic
// halls with the real CLI, starts a real Mosquitto on the config it renders (password file, ACL, client-id
// plugin) and the real `serve`, enrols 2,000 boxes through the claim flow (agent/claim.ts, then the real Agent
// logging in as itself; many boxes per worker process), and pushes a config to all halls, timing until every
// online box has acked it.
// Floors (issue 6): import <= 10 s, 2,000 enrolled <= 60 s, push acked by all online <= 10 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { printTable, writeJson, flags } from './report.js';
import { startBroker } from '../lab/mosquitto.js';
import { freeTcpPort } from '../lab/ports.js';
import { syntheticCsv, syntheticCommuneCode } from '../provisioning/synthetic.js';
import { Store } from '../provisioning/store.js';
import { FleetView } from '../provisioning/fleet-view.js';
import { pushDesired, waitSettled, countStatus, type Desired } from '../provisioning/push.js';
import { claimOnce } from '../agent/claim.js';
import { parseConfig } from '../agent/config/load.js';
import { Agent } from '../agent/agent.js';
import { silentLogger } from '../core/log.js';
import { provisionCli } from '../lab/provision-cli.js';

const DIST = resolve(import.meta.dirname, '..');
const CLI = join(DIST, 'provisioning/cli.js');
// Below the container's hard limit (20,000 here); 2,000 boxes need about 2,100 sockets at the broker.
const NOFILE = 16384;

const cli = provisionCli;

interface Worker {
  proc: ChildProcess;
  online: number;
  failed: number;
  errors: string[];
  done: Promise<void>;
  ready: Promise<void>;
}

function startWorker(args: string[]): Worker {
  const proc = spawn('prlimit', [`--nofile=${NOFILE}`, process.execPath, join(DIST, 'bench/provision.js'), 'worker', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let readyFn!: () => void;
  let doneFn!: () => void;
  const w: Worker = {
    proc,
    online: 0,
    failed: 0,
    errors: [],
    ready: new Promise((r) => (readyFn = r)),
    done: new Promise((r) => (doneFn = r)),
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { ev: string; online?: number; failed?: number; errors?: string[] };
    if (m.ev === 'ready') readyFn();
    if (m.ev === 'progress' || m.ev === 'done') {
      w.online = m.online!;
      w.failed = m.failed!;
    }
    if (m.ev === 'done') {
      w.errors = m.errors ?? [];
      doneFn();
    }
  });
  proc.on('exit', () => {
    readyFn();
    doneFn();
  });
  return w;
}

/** Worker: boxes [from, from+count) claim by serial, store their identity, and run as themselves. */
async function worker(argv: string[]): Promise<void> {
  const f = flags(argv);
  const from = Number(f.get('from'));
  const count = Number(f.get('count'));
  const url = f.get('url')!;
  const dir = f.get('dir')!;
  const [user, pass] = [f.get('claim-user')!, f.get('claim-pass')!];
  const emit = (m: object) => process.stdout.write(JSON.stringify(m) + '\n');
  const agents: Agent[] = [];
  let online = 0;
  let failed = 0;
  const errors: string[] = [];
  emit({ ev: 'ready' });
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((r) => lines.once('line', () => r()));
  await go;
  const tick = setInterval(() => emit({ ev: 'progress', online, failed }), 200);
  const one = async (i: number) => {
    const serial = `SN${syntheticCommuneCode(i)}`;
    const boxDir = join(dir, serial);
    await mkdir(boxDir, { recursive: true });
    const path = join(boxDir, 'config.json');
    const factory = parseConfig(
      { box: { id: 'unclaimed' }, mqtt: { brokers: [url] }, claim: { serial, username: user, password: pass, dir: boxDir, timeoutS: 60 } },
      serial,
    );
    try {
      const cfg = await claimOnce(path, factory, silentLogger);
      const agent = new Agent({ config: cfg, configPath: path, log: silentLogger, version: '0.1.0' });
      agents.push(agent);
      const up = new Promise<void>((r) => agent.link.once('connected', () => r()));
      await agent.start();
      await up;
      online++;
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push(`${serial}: ${(err as Error).message}`);
    }
  };
  // A bounded number of claims in flight per worker: a fleet powering up is spread, not one SYN burst.
  let next = from;
  const lanes = Array.from({ length: 50 }, async () => {
    while (next < from + count) await one(next++);
  });
  await Promise.all(lanes);
  clearInterval(tick);
  emit({ ev: 'done', online, failed, errors });
  await new Promise<void>((r) => lines.once('line', () => r()));
  await Promise.allSettled(agents.map((a) => a.stop()));
  process.exit(0);
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const halls = Number(f.get('halls') ?? 10400);
  const boxes = Number(f.get('boxes') ?? 2000);
  const workers = Number(f.get('workers') ?? 4);
  const work = await mkdtemp(join(tmpdir(), 'diemcau-bench-prov-'));
  const db = join(work, 'db');
  const port = await freeTcpPort();
  const url = `mqtt://127.0.0.1:${port}`;
  const csv = join(work, 'halls.csv');
  await writeFile(csv, syntheticCsv({ count: halls, broker: url, serials: true, districtEvery: 7 }));
  const cleanup: Array<() => Promise<unknown>> = [() => rm(work, { recursive: true, force: true })];
  try {
    const init = await cli(['init', '--db', db, '--json']);
    if (init.code !== 0) throw new Error(`init: ${init.err}`);
    const t0 = performance.now();
    const imp = await cli(['import', csv, '--db', db, '--json']);
    const importS = (performance.now() - t0) / 1000;
    if (imp.code !== 0) throw new Error(`import: ${imp.err}`);
    const imported = JSON.parse(imp.out) as { added: string[] };

    const store = new Store(db);
    const carrier = await store.carrier();
    // The broker as a carrier runs it: the config broker-conf renders, with the client-id plugin.
    const plugin = await cli(['broker-plugin', '--db', db]);
    if (plugin.code !== 0) throw new Error(`broker-plugin: ${plugin.err}`);
    const conf = await cli(['broker-conf', '--db', db, '--port', String(port), '--bind', '127.0.0.1', '--json']);
    if (conf.code !== 0) throw new Error(`broker-conf: ${conf.err}`);
    const broker = await startBroker({ port, nofile: NOFILE, extraConfig: ['max_inflight_messages 0'], rendered: JSON.parse(conf.out).lines });
    cleanup.unshift(() => broker.cleanup());

    const serve = spawn(process.execPath, [CLI, 'serve', '--db', db, '--url', url], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DIEMCAU_LOG_LEVEL: 'info' } });
    cleanup.unshift(async () => {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    });
    await new Promise<void>((res, rej) => {
      createInterface({ input: serve.stdout! }).on('line', (l) => l.includes('answering claims') && res());
      serve.once('exit', (c) => rej(new Error(`serve exited ${c}`)));
    });

    const per = Math.ceil(boxes / workers);
    const ws: Worker[] = [];
    for (let i = 0; i < workers; i++) {
      const count = Math.min(per, boxes - i * per);
      if (count <= 0) break;
      const w = startWorker(['--from', String(i * per), '--count', String(count), '--url', url, '--dir', join(work, 'boxes'),
        '--claim-user', carrier.claim.username, '--claim-pass', carrier.claim.password]);
      ws.push(w);
      cleanup.unshift(async () => {
        w.proc.stdin!.write('stop\n');
        await new Promise((r) => (w.proc.exitCode !== null ? r(null) : w.proc.once('exit', r)));
      });
    }
    await Promise.all(ws.map((w) => w.ready));
    const t1 = performance.now();
    for (const w of ws) w.proc.stdin!.write('go\n');
    const progress = setInterval(() => {
      if (process.stderr.isTTY) process.stderr.write(`\renrolled ${ws.reduce((s, w) => s + w.online, 0)}/${boxes}`);
    }, 250);
    await Promise.all(ws.map((w) => w.done));
    clearInterval(progress);
    const enrolS = (performance.now() - t1) / 1000;
    const enrolled = ws.reduce((s, w) => s + w.online, 0);
    const failed = ws.reduce((s, w) => s + w.failed, 0);
    for (const w of ws) for (const e of w.errors) console.error(`enrol failure: ${e}`);

    const view = new FleetView(url, carrier.service);
    await view.start();
    cleanup.unshift(() => view.stop());
    await view.settle(500, 20000);
    const targets = Object.keys(await store.halls()).sort();
    const online = targets.filter((b) => view.boxes.get(b)?.online === true);
    const t2 = performance.now();
    const pushed = await pushDesired(store, view.mqtt, targets, () => ({ telemetry: { intervalS: 30 } }));
    const rows = await waitSettled(view, (await store.desired()) as Record<string, Desired>, online, 60000);
    const pushS = (performance.now() - t2) / 1000;
    const counts = countStatus(rows);

    const result = {
      halls: imported.added.length,
      import_s: importS,
      boxes: enrolled,
      enrol_failed: failed,
      enrol_all_s: enrolS,
      online_at_push: online.length,
      push_version: pushed.version,
      push_targets: targets.length,
      push_acked: counts.applied,
      push_refused: counts.refused,
      push_ack_all_s: pushS,
      floors: { import_s: 10, enrol_all_s: 60, push_ack_all_s: 10 },
      pass: importS <= 10 && enrolS <= 60 && pushS <= 10 && enrolled === boxes && counts.applied === online.length,
    };
    printTable(`provision: ${halls} halls imported, ${boxes} boxes enrolled through the claim flow, one push to all`, [
      { step: 'import (CLI)', count: result.halls, seconds: importS, floor_s: 10 },
      { step: 'enrol (claim + log in as itself)', count: enrolled, seconds: enrolS, floor_s: 60 },
      { step: `push v${pushed.version} to all, acked by online`, count: counts.applied, seconds: pushS, floor_s: 10 },
    ]);
    console.log(`\nfailed enrolments: ${failed}; online at push: ${online.length}; refused: ${counts.refused}; pass: ${result.pass}`);
    await writeJson(f.get('json'), result);
  } finally {
    for (const c of cleanup) await c().catch(() => {});
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain && process.argv[2] === 'worker') await worker(process.argv.slice(3));
