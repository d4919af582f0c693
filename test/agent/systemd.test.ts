// sd_notify: READY once the agent runs, WATCHDOG from its main loop (stops when the loop is stopped), STOPPING on
// SIGTERM. The notify socket is a real unix datagram socket, as systemd's is.
import t from 'tap';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launcherArgv } from '../../lab/unit.js';
import { stopChild } from '../../core/stop-child.js';
import { startBroker } from '../../lab/mosquitto.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';
import { sleep, waitFor } from '../../lab/wait.js';

interface DgramServer {
  bind(path: string): void;
  on(ev: 'message', cb: (msg: Buffer) => void): void;
  close(): void;
}
const { createSocket } = createRequire(import.meta.url)('unix-dgram') as { createSocket(t: 'unix_dgram'): DgramServer };

const broker = await startBroker();
t.teardown(() => broker.cleanup());

t.test('READY, WATCHDOG from the main loop, STOPPING', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-notify-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sockPath = join(dir, 'notify.sock');
  const got: Array<{ at: number; msg: string }> = [];
  const server = createSocket('unix_dgram');
  server.on('message', (m) => got.push({ at: Date.now(), msg: m.toString() }));
  server.bind(sockPath);
  t.teardown(() => server.close());

  const WATCHDOG_MS = 400;
  const agent = startAgent(await writeConfig({ box: { id: 'vn-70001' }, mqtt: { brokers: [broker.url] } }, await scratchDir(t, 'diemcau-test-')), [], {
    NOTIFY_SOCKET: sockPath,
    WATCHDOG_USEC: String(WATCHDOG_MS * 1000),
  });
  t.teardown(() => agent.stop('SIGKILL'));
  await waitFor('READY=1 on the notify socket', () => got, { until: (g) => g.some((x) => x.msg.includes('READY=1')) });
  t.ok(got.some((g) => g.msg === 'READY=1'), 'READY=1, without MAINPID: the process systemd started stays the main one');
  const beatsAt = () => got.filter((g) => g.msg === 'WATCHDOG=1').map((g) => g.at);
  const beats = await waitFor('eight heartbeats', beatsAt, { until: (b) => b.length >= 8 });
  // The agent pings at half the watchdog period, from an interval timer: a busy machine delays single pings, not
  // the median gap. Pinging at the period itself (or less often) would put the median at 400 ms or more.
  const gaps = beats.slice(1).map((at, i) => at - beats[i]).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  t.ok(median < WATCHDOG_MS * 0.75, `heartbeats WatchdogSec/2 apart: median gap ${median} ms of a ${WATCHDOG_MS} ms watchdog`);

  // A hung main loop (here: the process stopped) sends no heartbeat, so systemd would restart it. A heartbeat
  // already on its way when the process stopped is let through first (a whole watchdog period).
  agent.proc.kill('SIGSTOP');
  await sleep(WATCHDOG_MS);
  const frozenAt = got.length;
  await sleep(3 * WATCHDOG_MS);
  t.equal(got.length, frozenAt, 'no heartbeat while the loop is stopped');
  agent.proc.kill('SIGCONT');
  await waitFor('a heartbeat after SIGCONT', () => got.length, { until: (n) => n > frozenAt });
  t.pass('heartbeats resume with the loop');

  await agent.stop('SIGTERM');
  t.ok(got.some((g) => g.msg === 'STOPPING=1'), 'STOPPING=1 on SIGTERM');
  t.ok(got.some((g) => g.msg.startsWith('STATUS=registered with')), 'STATUS says where it registered');
});

t.test('under the launcher, started as systemd starts it: the agent feeds the watchdog', async (t) => {
  // systemd sets WATCHDOG_PID to the process it started: the launcher. The agent, its child, is the one that pings.
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-notify-launcher-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const dist = resolve(import.meta.dirname, '../..');
  const slot = join(dir, 'opt/slots/a');
  await mkdir(slot, { recursive: true });
  await symlink(dist, join(slot, 'dist'));
  await symlink(resolve(dist, '../node_modules'), join(slot, 'node_modules'));
  await symlink(resolve(dist, '../package.json'), join(slot, 'package.json'));
  await writeFile(join(slot, '.installed'), JSON.stringify({ version: '0.0.1', entry: 'dist/agent/cli.js' }));
  const config = await writeConfig({ box: { id: 'vn-70002' }, mqtt: { brokers: [broker.url] } }, dir);
  const sockPath = join(dir, 'notify.sock');
  const got: Array<{ at: number; msg: string }> = [];
  const server = createSocket('unix_dgram');
  server.on('message', (m) => got.push({ at: Date.now(), msg: m.toString() }));
  server.bind(sockPath);
  t.teardown(() => server.close());
  const argv = launcherArgv({ launcher: join(dist, 'agent/update/launcher.js'), root: join(dir, 'opt'), config });
  // `exec` keeps the shell's pid, so WATCHDOG_PID=$$ names the launcher, as systemd's does.
  const launcher = spawn('/bin/sh', ['-c', 'WATCHDOG_PID=$$ exec "$0" "$@"', process.execPath, ...argv], {
    stdio: 'ignore',
    env: { ...process.env, NOTIFY_SOCKET: sockPath, WATCHDOG_USEC: '1000000' },
  });
  t.teardown(() => stopChild(launcher, 'SIGTERM', 5000));
  await waitFor('READY=1 from the agent', () => got, { until: (g) => g.some((x) => x.msg.includes('READY=1')), timeoutMs: 20_000 });
  t.notOk(got.some((g) => g.msg.includes('MAINPID=')), 'READY leaves the launcher the main process (systemd sees it exit when the agent dies)');
  const beats = await waitFor('WATCHDOG=1 from the agent', () => got.filter((g) => g.msg === 'WATCHDOG=1').length, { until: (n) => n >= 3, timeoutMs: 10_000 }).catch(() => 0);
  t.ok(beats >= 3, `heartbeats arrive (${beats} in the wait): without them systemd kills the agent every WatchdogSec`);
  const status = await waitFor('STATUS=registered', () => got.find((g) => g.msg.startsWith('STATUS=registered')), { timeoutMs: 5000 }).catch(() => undefined);
  t.equal(status?.msg, `STATUS=registered with ${broker.url}`, `STATUS says where it registered, however soon the link came up (all seen: ${got.filter((g) => g.msg !== 'WATCHDOG=1').map((g) => g.msg).join(' | ')})`);
});
