// sd_notify: READY once the agent runs, WATCHDOG from its main loop (stops when the loop is stopped), STOPPING on
// SIGTERM. The notify socket is a real unix datagram socket, as systemd's is.
import t from 'tap';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
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
  const agent = startAgent(await writeConfig({ box: { id: 'vn-70001' }, mqtt: { brokers: [broker.url] } }), [], {
    NOTIFY_SOCKET: sockPath,
    WATCHDOG_USEC: String(WATCHDOG_MS * 1000),
  });
  t.teardown(() => agent.stop('SIGKILL'));
  await waitFor('READY=1 on the notify socket', () => got, { until: (g) => g.some((x) => x.msg.includes('READY=1')) });
  t.ok(got.some((g) => /READY=1/.test(g.msg) && g.msg.includes(`MAINPID=${agent.proc.pid}`)), 'READY=1 with MAINPID');
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
