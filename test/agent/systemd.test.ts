// sd_notify: READY once the agent runs, WATCHDOG from its main loop (stops when the loop is stopped), STOPPING on
// SIGTERM. The notify socket is a real unix datagram socket, as systemd's is.
import t from 'tap';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';

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

  const agent = startAgent(await writeConfig({ box: { id: 'vn-70001' }, mqtt: { brokers: [broker.url] } }), [], {
    NOTIFY_SOCKET: sockPath,
    WATCHDOG_USEC: '400000',
  });
  t.teardown(() => agent.stop('SIGKILL'));
  const deadline = Date.now() + 10000;
  while (!got.some((g) => g.msg.includes('READY=1')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.ok(got.some((g) => /READY=1/.test(g.msg) && g.msg.includes(`MAINPID=${agent.proc.pid}`)), 'READY=1 with MAINPID');
  await new Promise((r) => setTimeout(r, 1500));
  const beats = got.filter((g) => g.msg === 'WATCHDOG=1').length;
  t.ok(beats >= 4, `watchdog every WatchdogSec/2 (${beats} in 1.5 s)`);

  // A hung main loop (here: the process stopped) sends no heartbeat, so systemd would restart it.
  agent.proc.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 300));
  const frozenAt = got.length;
  await new Promise((r) => setTimeout(r, 1200));
  t.equal(got.length, frozenAt, 'no heartbeat while the loop is stopped');
  agent.proc.kill('SIGCONT');
  await new Promise((r) => setTimeout(r, 800));
  t.ok(got.length > frozenAt, 'heartbeats resume with the loop');

  await agent.stop('SIGTERM');
  t.ok(got.some((g) => g.msg === 'STOPPING=1'), 'STOPPING=1 on SIGTERM');
  t.ok(got.some((g) => g.msg.startsWith('STATUS=registered with')), 'STATUS says where it registered');
});
