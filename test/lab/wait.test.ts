// The one polling helper: it resolves with the reading that satisfied it, and on time-out fails naming what it
// waited for and the last reading seen; a probe that throws fails the wait at once.
import t from 'tap';
import { waitFor, WaitTimeout } from '../../lab/wait.js';

t.test('resolves with the first reading that satisfies it', async (t) => {
  let n = 0;
  const got = await waitFor('n to reach 3', () => ++n, { until: (v) => v >= 3, everyMs: 1 });
  t.equal(got, 3);
  t.equal(await waitFor('a truthy reading', async () => 'yes'), 'yes', 'truthiness when no predicate is given; async readings too');
});

t.test('times out loudly: what it waited for and the last value seen', async (t) => {
  const err = await waitFor('the hall heard', () => ({ heard: false, status: 'joining' }), { until: (r) => r.heard, timeoutMs: 50 }).catch((e: unknown) => e);
  t.type(err, WaitTimeout);
  t.match((err as Error).message, /^waited 50 ms for the hall heard; last value seen: \{ heard: false, status: 'joining' \}$/);
  t.same((err as WaitTimeout).last, { heard: false, status: 'joining' });
});

t.test('a probe that throws fails the wait at once', async (t) => {
  const t0 = performance.now();
  await t.rejects(waitFor('anything', () => { throw new Error('probe broke'); }, { timeoutMs: 60_000 }), /probe broke/);
  t.ok(performance.now() - t0 < 30_000, 'without waiting out the time-out');
});
