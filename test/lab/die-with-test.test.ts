// A test file that throws at its top level ends without its teardowns: what it started through lab/ must end with it
// (a leaked broker or console server slowed every file after it in CI). A real test-like process starts a real
// Mosquitto and a real agent process through lab/, then throws; both must be gone once it has exited.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../lab/wait.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const LAB = fileURLToPath(new URL('../../lab/', import.meta.url));

const script = `
import { startBroker } from ${JSON.stringify(LAB + 'mosquitto.js')};
import { startAgent, writeConfig } from ${JSON.stringify(LAB + 'agent-process.js')};
const broker = await startBroker();
const agent = startAgent(await writeConfig({ box: { id: 'vn-orphan' }, mqtt: { brokers: [broker.url] } }, process.env.TMPDIR));
await agent.waitLog((l) => l.msg === 'registered with broker', 'registered', 30000);
console.log(JSON.stringify({ broker: broker.proc.pid, agent: agent.proc.pid }));
throw new Error('the test broke before its teardowns');
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('a test process that throws takes its broker and agent with it', async (t) => {
  // Its teardowns never run, so what it writes (the broker's dir, the agent's config) goes in a temp dir of this test's.
  const tmp = await scratchDir(t, 'diemcau-orphan-');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.not(code, 0, 'the test-like process failed, as it was written to');
  t.match(err, /the test broke before its teardowns/, 'for the reason it was written to');
  const pids = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { broker?: number; agent?: number };
  t.ok(pids.broker && pids.agent, `it started a broker and an agent: ${out.trim()} ${err.slice(0, 300)}`);
  const left = await waitFor('the broker and the agent gone', () => [pids.broker!, pids.agent!].filter(alive), {
    until: (l) => l.length === 0,
    timeoutMs: 5000,
  }).catch(() => [pids.broker!, pids.agent!].filter(alive));
  for (const pid of left) process.kill(pid, 'SIGKILL');
  t.same(left, [], 'nothing it started outlived it');
});
