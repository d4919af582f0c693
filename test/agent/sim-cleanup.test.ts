// A simulated hall killed with SIGKILL leaves nothing behind: its socat pty pairs end and their temp directories go,
// although the agent ran no handler (issue 10, "also seen").
import t from 'tap';
import { readdir, readFile, access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';
import { waitFor } from '../../lab/wait.js';

const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url);
t.teardown(() => obs.close());

/** The pids whose parent chain reaches `root`, with their command lines. */
async function descendants(root: number): Promise<Array<{ pid: number; cmd: string[] }>> {
  const parent = new Map<number, number>();
  const cmds = new Map<number, string[]>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      cmds.set(Number(e), (await readFile(`/proc/${e}/cmdline`, 'utf8')).split('\0').filter(Boolean));
    } catch {
      // gone meanwhile
    }
  }
  const under = (p: number): boolean => p === root || (parent.has(p) && p !== 1 && under(parent.get(p)!));
  return [...parent.keys()].filter((p) => p !== root && under(p)).map((pid) => ({ pid, cmd: cmds.get(pid) ?? [] }));
}

const alive = (pid: number) => access(`/proc/${pid}`).then(() => true, () => false);
const exists = (path: string) => access(path).then(() => true, () => false);

t.test('SIGKILL of a simulated hall ends its socat processes and removes their directories', async (t) => {
  const ID = 'vn-90031';
  const agent = startAgent(
    await writeConfig({
      box: { id: ID },
      mqtt: { brokers: [broker.url], stateThrottleMs: 100 },
      devices: { camera: { simulate: true }, display: { protocol: 'samsung-mdc', simulate: true } },
    }, await scratchDir(t, 'diemcau-test-')),
  );
  t.teardown(() => agent.stop());
  await obs.wait(
    (m) => m.topic === `diemcau/v1/${ID}/state` && m.json?.devices?.camera?.health.status === 'ok' && m.json?.devices?.display?.health.status === 'ok',
    'camera and display ok',
    20000,
  );
  const socats = (await descendants(agent.proc.pid!)).filter((p) => p.cmd[0] === 'socat');
  t.equal(socats.length, 2, 'one socat for the camera, one for the display');
  const dirs = socats.map((p) => dirname(p.cmd.find((a) => a.includes('link='))!.replace(/^.*link=/, '')));
  for (const d of dirs) t.ok(await exists(d), `${d} exists while the hall runs`);

  agent.proc.kill('SIGKILL');
  await agent.exited;
  const left = async () => [
    ...(await Promise.all(socats.map(async (p) => ((await alive(p.pid)) ? [`socat ${p.pid}`] : [])))).flat(),
    ...(await Promise.all(dirs.map(async (d) => ((await exists(d)) ? [d] : [])))).flat(),
  ];
  await waitFor('socat processes ended and their directories gone', left, { until: (l) => l.length === 0, everyMs: 100 });
  for (const p of socats) t.notOk(await alive(p.pid), `socat ${p.pid} ended`);
  for (const d of dirs) t.notOk(await exists(d), `${d} removed`);
});
