// The media worker's heap collector: it reports when node was started without --expose-gc (and then does nothing),
// and with a real gc function it runs concurrent full collections that the gc performance entries count.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HeapCollector } from '../../agent/media/worker/heap-collect.js';
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
