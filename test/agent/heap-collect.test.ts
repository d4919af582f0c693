// The heap collector of the agent and its media worker: it reports when node was started without --expose-gc (and
// then does nothing), and with a real gc function it runs concurrent full collections that the gc performance entries
// count. The agent, started with its node flags (the unit's), has it; started without them, it says so.
import t from 'tap';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { CLI, startAgent, writeConfig } from '../../lab/agent-process.js';
import { jsonLines } from '../../lab/json-lines.js';
import { scratchDir } from '../../lab/scratch-dir.js';
import { spawnWithTest } from '../../lab/die-with-test.js';
import { stopChild } from '../../core/stop-child.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HeapCollector } from '../../agent/heap-collect.js';
import { waitFor } from '../../lab/wait.js';

t.test('without --expose-gc: says so and starts nothing', async (t) => {
  const h = new HeapCollector(undefined);
  t.teardown(() => h.stop());
  t.equal(h.available, false);
  t.equal(h.start(10), false, 'start() reports that it cannot collect');
});

t.test('with gc: a collection on the timer is seen, with its pause and the heap left after it', async (t) => {
  // What --expose-gc gives the worker, obtained at run time here (the test runner starts node without flags).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (o?: object) => Promise<void> | void;
  const h = new HeapCollector(gc);
  t.teardown(() => h.stop());
  const t0 = performance.now();
  t.equal(h.start(50), true);
  let garbage: object[] = Array.from({ length: 50000 }, (_, i) => ({ i, s: `x${i}` }));
  garbage = [];
  t.equal(garbage.length, 0);
  const r = await waitFor('two full collections', () => h.report(), { until: (x) => x.majorGcs >= 2 });
  const elapsedMs = performance.now() - t0;
  t.ok(r.majorGcs >= 2, `${r.majorGcs} full collections in ${Math.round(elapsedMs)} ms`);
  // A pause is part of the time that passed while waiting: one longer than that is a unit error (µs for ms), not
  // a slow machine.
  t.ok(r.maxPauseMs > 0 && r.maxPauseMs <= elapsedMs, `longest pause ${r.maxPauseMs} ms of the ${Math.round(elapsedMs)} ms waited`);
  t.ok(r.usedMb > 0 && r.usedMb < 200, `heap after collection ${r.usedMb} MB`);
});

t.test('the agent: collects with its node flags, and says so when started without --expose-gc', async (t) => {
  t.ok(AGENT_NODE_FLAGS.includes('--expose-gc'), `the agent's node flags: ${AGENT_NODE_FLAGS.join(' ')}`);
  // V8 warns on stderr when the flags conflict (--expose-gc beside --lite-mode did, at every start).
  const version = spawnWithTest(process.execPath, [...AGENT_NODE_FLAGS, CLI, 'version'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  version.stdout!.on('data', (d: Buffer) => (out += d));
  version.stderr!.on('data', (d: Buffer) => (err += d));
  const code = await new Promise((r) => version.once('exit', r));
  t.same({ code, err }, { code: 0, err: '' }, `\`diemcau version\` with the agent's flags: ${out.trim()}, nothing on stderr`);
  // No broker listens on port 1: the agent starts, logs, and keeps trying, which is all this needs.
  const config = await writeConfig({ box: { id: 'vn-91900' }, mqtt: { brokers: ['mqtt://127.0.0.1:1'] } }, await scratchDir(t, 'diemcau-heap-'));
  const warned = (l: Record<string, unknown>) => l.level === 'warn' && String(l.msg).includes('--expose-gc');

  const agent = startAgent(config);
  t.teardown(() => agent.stop());
  await agent.waitLog((l) => l.msg === 'starting', 'the agent starting');
  t.same(agent.lines.filter(warned), [], 'with AGENT_NODE_FLAGS: no warning, the collector runs');

  const bare = spawnWithTest(process.execPath, [...AGENT_NODE_FLAGS.filter((f) => f !== '--expose-gc'), CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => stopChild(bare, 'SIGTERM', 10_000));
  const log = jsonLines(bare.stdout!, 'agent without --expose-gc', () => '');
  const w = await log.waitLog(warned, 'the warning that the heap will creep');
  t.match(w.msg, /started without --expose-gc/, `without the flag: "${w.msg}"`);
});
