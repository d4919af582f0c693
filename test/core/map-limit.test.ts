// mapLimit: results in the items' order, never more than the limit running at once, and a failure rejects only
// after the jobs already started have settled.
import t from 'tap';
import { mapLimit } from '../../core/map-limit.js';

const tick = () => new Promise((r) => setImmediate(r));

t.test('results in order, at most `limit` at a time', async (t) => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n, i) => {
    running++;
    most = Math.max(most, running);
    for (let k = 0; k < n; k++) await tick(); // later items finish first
    running--;
    return `${i}:${n * 10}`;
  });
  t.same(out, ['0:50', '1:10', '2:40', '3:20', '4:30', '5:0', '6:60']);
  t.equal(most, 3, 'three ran at once, never more');
  t.same(await mapLimit([], 4, async () => 1), [], 'no items: no results');
  let now = 0;
  let peak = 0;
  await mapLimit([1, 2, 3], Number('x'), async () => {
    peak = Math.max(peak, ++now);
    await tick();
    now--;
  });
  t.equal(peak, 1, 'a limit that is no number: one at a time');
});

t.test('a failure rejects after the started jobs settle, and starts no more', async (t) => {
  const settled: number[] = [];
  const started: number[] = [];
  const err = await mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
    started.push(n);
    if (n === 0) throw new Error('job 0 failed');
    for (let k = 0; k < 3; k++) await tick();
    settled.push(n);
  }).catch((e: Error) => e);
  t.match(err, { message: 'job 0 failed' });
  t.same(started, [0, 1], 'nothing started after the failure');
  t.same(settled, [1], 'the job running beside it settled before the rejection');
});
