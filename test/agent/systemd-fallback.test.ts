// A Type=notify unit restarts an agent that never says READY, over and over (StartLimitIntervalSec=0). So the agent
// must reach READY, and keep the watchdog fed, when the unix-dgram addon will not load (built for another
// architecture, or for another Node) and while a factory box waits for its claim answer. The notify socket here is
// a real unix datagram socket, as systemd's is; the broken addon is a real ELF file made for another machine.
import t from 'tap';
import { createRequire } from 'node:module';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { startBroker } from '../../lab/mosquitto.js';
import { writeConfig } from '../../lab/agent-process.js';
import { Observer } from '../../lab/observer.js';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { stopChild } from '../../core/stop-child.js';
import { waitFor } from '../../lab/wait.js';

interface DgramServer {
  bind(path: string): void;
  on(ev: 'message', cb: (msg: Buffer) => void): void;
  close(): void;
}
const { createSocket } = createRequire(import.meta.url)('unix-dgram') as { createSocket(t: 'unix_dgram'): DgramServer };

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const work = await mkdtemp(join(tmpdir(), 'diemcau-notify-fallback-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const broker = await startBroker();
t.teardown(() => broker.cleanup());

/**
 * A box tree (dist/, package.json, node_modules/) whose unix-dgram addon is the one built here with its ELF machine
 * set to aarch64: what a box gets when its tree was built for the other architecture. Every other module is this
 * tree's own (linked, so Node resolves them from here).
 */
async function treeWithForeignAddon(): Promise<string> {
  const box = join(work, 'box');
  for (const d of ['agent', 'core', 'drivers']) await cp(join(repo, 'dist', d), join(box, 'dist', d), { recursive: true });
  await cp(join(repo, 'package.json'), join(box, 'package.json'));
  await mkdir(join(box, 'node_modules'));
  for (const name of await readdir(join(repo, 'node_modules'))) {
    if (name !== 'unix-dgram' && !name.startsWith('.')) await symlink(join(repo, 'node_modules', name), join(box, 'node_modules', name));
  }
  const mod = join(box, 'node_modules/unix-dgram');
  await cp(join(repo, 'node_modules/unix-dgram'), mod, { recursive: true });
  const addon = join(mod, 'build/Release/unix_dgram.node');
  const elf = await readFile(addon);
  elf.writeUInt16LE(183, 18); // e_machine: EM_AARCH64
  await writeFile(addon, elf);
  return box;
}

function listen(name: string): Array<{ at: number; msg: string }> {
  const got: Array<{ at: number; msg: string }> = [];
  const server = createSocket('unix_dgram');
  server.on('message', (m) => got.push({ at: Date.now(), msg: m.toString() }));
  server.bind(join(work, name));
  t.teardown(() => server.close());
  return got;
}

function runAgent(cli: string, config: string, env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, [...AGENT_NODE_FLAGS, cli, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const out = { text: '' };
  proc.stdout!.on('data', (d) => (out.text += d));
  proc.stderr!.on('data', (d) => (out.text += d));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  t.teardown(() => stopChild(proc, 'SIGKILL', 5000));
  return { proc, out, exit };
}

const box = await treeWithForeignAddon();
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

t.test('the addon does not load: the agent runs, says why, and tells systemd through systemd-notify', async (t) => {
  const got = listen('notify-a.sock');
  const cfg = await writeConfig({ box: { id: 'vn-70011' }, mqtt: { brokers: [broker.url] } }, await mkdtemp(join(work, 'a-')));
  const a = runAgent(join(box, 'dist/agent/cli.js'), cfg, { NOTIFY_SOCKET: join(work, 'notify-a.sock'), WATCHDOG_USEC: '1000000' });
  const exited = a.exit.then((code) => `the agent exited with ${code}: ${a.out.text.trim().split('\n').slice(-2).join(' | ')}`);
  const ready = waitFor('READY=1 on the notify socket', () => got, { until: (g) => g.some((x) => x.msg.includes('READY=1')), timeoutMs: 20_000 });
  const first = await Promise.race([ready.then(() => 'ready'), exited]);
  t.equal(first, 'ready', 'READY=1 arrives (and the agent is still running)');
  t.ok(got.some((g) => g.msg === 'READY=1'), 'READY=1, as with the addon');
  await waitFor('two heartbeats', () => got.filter((g) => g.msg === 'WATCHDOG=1').length, { until: (n) => n >= 2 });
  t.pass('WATCHDOG=1 keeps coming');
  const why = a.out.text.split('\n').filter((l) => l.includes('unix-dgram'));
  t.equal(why.length, 1, `one line says why: ${why[0]}`);
  t.match(why[0], /systemd-notify/, 'and what it does instead');
  t.match(why[0], /built for arm64; this node runs on x64/, 'and the reason: the file is built for the other machine (glibc says only "No such file")');
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-70011/presence' && m.json?.state === 'online', 'vn-70011 online', 15_000);
  const r = await obs.request('diemcau/v1/vn-70011/cmd/ping', {}, { timeoutMs: 5000 });
  t.equal(r.ok, true, 'the agent answers on the broker');
});

t.test('neither the addon nor systemd-notify: the agent runs and says systemd will not hear it', async (t) => {
  listen('notify-b.sock');
  const cfg = await writeConfig({ box: { id: 'vn-70012' }, mqtt: { brokers: [broker.url] } }, await mkdtemp(join(work, 'b-')));
  const a = runAgent(join(box, 'dist/agent/cli.js'), cfg, { NOTIFY_SOCKET: join(work, 'notify-b.sock'), WATCHDOG_USEC: '1000000', PATH: join(work, 'empty-path') });
  const line = await waitFor('a line naming both', () => a.out.text.split('\n').find((l) => l.includes('unix-dgram') && l.includes('systemd-notify')), { timeoutMs: 20_000 });
  t.match(line, /will not hear/, `it says what follows: ${line}`);
  await obs.wait((m) => m.topic === 'diemcau/v1/vn-70012/presence' && m.json?.state === 'online', 'vn-70012 online', 15_000);
  const r = await obs.request('diemcau/v1/vn-70012/cmd/ping', {}, { timeoutMs: 5000 });
  t.equal(r.ok, true, 'the agent answers on the broker');
  t.equal(a.proc.exitCode, null, 'and keeps running');
});

// With a label password the technician's page runs beside the claim (on an interface that does not exist here: the
// page says so and tries again), and the agent takes the on-site path: READY and STATUS all the same.
for (const [sock, serial, technician] of [
  ['notify-c.sock', 'PI4B-000777', undefined],
  ['notify-d.sock', 'PI4B-000778', { password: 'K7Q2-M9XD-4HPA', interface: 'dmc-none0' }],
] as const) {
  t.test(`a factory box${technician ? ' with a label password' : ''} says READY before its claim is answered, and feeds the watchdog while it waits`, async (t) => {
    const got = listen(sock);
    const dir = await mkdtemp(join(work, 'c-'));
    // A broker where nobody answers claims: the box waits (and retries) as long as the carrier is away.
    const cfg = await writeConfig({ box: { id: 'unclaimed' }, mqtt: { brokers: [broker.url] }, claim: { serial, username: 'claim', password: 'x', dir, timeoutS: 30 }, ...(technician ? { technician } : {}) }, dir);
    const a = runAgent(join(repo, 'dist/agent/cli.js'), cfg, { NOTIFY_SOCKET: join(work, sock), WATCHDOG_USEC: '1000000' });
    await waitFor('READY=1 while claiming', () => got, { until: (g) => g.some((x) => x.msg.includes('READY=1')), timeoutMs: 15_000 });
    const status = await waitFor('STATUS=claiming', () => got.find((g) => /^STATUS=claiming/.test(g.msg)), { timeoutMs: 5000 }).catch(() => undefined);
    t.equal(status?.msg, `STATUS=claiming an identity as ${serial}`, `STATUS says it is claiming (all seen: ${got.map((g) => g.msg).join(' | ')})`);
    await waitFor('two heartbeats while claiming', () => got.filter((g) => g.msg === 'WATCHDOG=1').length, { until: (n) => n >= 2 });
    t.pass('WATCHDOG=1 keeps coming while it waits');
    t.notOk(a.out.text.includes('"claimed"'), 'still unclaimed');
    if (technician) t.match(a.out.text, /technician/, 'the technician page is in play (it says why it cannot open yet)');
    t.equal(a.proc.exitCode, null, 'still running');
  });
}
