// The detail view's rings: they grow as samples come, keep the newest `capacity` rows oldest first, and give null for
// what was missing.
import t from 'tap';
import { Ring } from '../../central/fleet/history.js';

t.test('rows come back in order while the ring grows and after it wraps', async (t) => {
  for (const n of [1, 3, 4, 5, 9, 16, 17, 120, 121, 300]) {
    const r = new Ring(['a', 'b'], 120);
    for (let i = 0; i < n; i++) r.push(1000 + i, [i, i % 3 === 0 ? null : -i]);
    const rows = r.since(0);
    const first = Math.max(0, n - 120);
    t.equal(rows.length, n - first, `${n} pushed`);
    t.same(rows.map((x) => x.a), Array.from({ length: n - first }, (_, k) => first + k), `${n} pushed: oldest first`);
    t.same(rows[0].b, first % 3 === 0 ? null : -first, 'null where no number was given');
    t.equal(rows[rows.length - 1].ts, new Date(1000 + n - 1).toISOString());
  }
});

t.test('since() leaves out older rows', async (t) => {
  const r = new Ring(['x'], 10);
  for (let i = 0; i < 10; i++) r.push(i * 1000, [i]);
  t.same(r.since(7000).map((x) => x.x), [7, 8, 9]);
});
