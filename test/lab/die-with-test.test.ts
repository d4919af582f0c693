// A test file that throws at its top level ends without its teardowns: what it started through lab/ must end with it
// (a leaked broker or console server slowed every file after it in CI). So must it when a signal ends the file (tap's
// SIGTERM at a file's timeout; a SIGKILL), which never reaches the process's 'exit'. A real test-like process starts a
// real Mosquitto and a real agent process through lab/, then throws or is signalled; both must be gone once it has
// exited.
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
if (process.env.END === 'throw') throw new Error('the test broke before its teardowns');
setInterval(() => {}, 1000);
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const end of ['throw', 'SIGTERM', 'SIGKILL'] as const) {
  t.test(`a test process ended by ${end === 'throw' ? 'an uncaught error' : end} takes its broker and agent with it`, async (t) => {
    // Its teardowns never run, so what it writes (the broker's dir, the agent's config) goes in a temp dir of this test's.
    const tmp = await scratchDir(t, 'diemcau-orphan-');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: tmp, END: end },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    const started = await waitFor('the pids of what it started', () => out, { until: (o) => o.includes('}'), timeoutMs: 30000 }).catch(() => out);
    if (end !== 'throw') child.kill(end);
    const [code, signal] = await exited;
    if (end === 'throw') {
      t.not(code, 0, 'the test-like process failed, as it was written to');
      t.match(err, /the test broke before its teardowns/, 'for the reason it was written to');
    } else t.equal(signal, end, `ended by ${end}`);
    const pids = JSON.parse(started.trim().split('\n').at(-1) ?? '{}') as { broker?: number; agent?: number };
    t.ok(pids.broker && pids.agent, `it started a broker and an agent: ${out.trim()} ${err.slice(0, 300)}`);
    const left = await waitFor('the broker and the agent gone', () => [pids.broker!, pids.agent!].filter(alive), {
      until: (l) => l.length === 0,
      timeoutMs: 5000,
    }).catch(() => [pids.broker!, pids.agent!].filter(alive));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    t.same(left, [], 'nothing it started outlived it');
  });
}
