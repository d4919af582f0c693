// `npm run demo` starts the central console too (issue 12): the real demo process, run for a bounded time
// (--duration) without media, prints the console's address and a login; with them an operator's HTTP client (what
// the page uses) logs in and finds every demo hall online under its name, in its province, and a roll call started
// there is answered by every hall. When the duration is over the demo stops by itself, the console with it.
import t from 'tap';
import { startDemo } from '../../lab/demo-process.js';
import { ConsoleClient } from '../../lab/central.js';
import { demoHallConfig } from '../../lab/halls.js';
import { waitFor } from '../../lab/wait.js';

const HALLS = 3;
// Counted from the header (the first table): the checks below take about 2 s, more beside stress-ng.
const DURATION_S = 10;
const want = Array.from({ length: HALLS }, (_, i) => demoHallConfig(i, 'mqtt://unused', { devices: true, media: null }));

t.test('the demo prints the console and its login; the halls are there; a roll call is answered', async (t) => {
  const demo = startDemo(['--halls', String(HALLS), '--no-media', '--duration', String(DURATION_S), '--console-port', '0']);
  t.teardown(() => demo.stop());
  const h = await demo.header();
  const headerAt = performance.now();
  t.match(h.console, /^http:\/\/127\.0\.0\.1:\d+$/, `the console's address: ${h.console}`);
  t.equal(h.username, 'demo');

  const api = await ConsoleClient.login(h.console, h.username, h.password);
  t.equal((await api.get('/api/me')).body.operator.role, 'national', 'the demo login is a national operator');
  const wrong = await new ConsoleClient(h.console).post('/api/login', { username: h.username, password: `${h.password}x` });
  t.equal(wrong.status, 401, 'another password is refused');

  const rows = await waitFor(
    `the ${HALLS} demo halls online in the console`,
    async () => (await api.get('/api/halls?limit=100')).body.halls as Array<{ box: string; name: string; presence: string; groups: string[] }>,
    { until: (rs) => rs.length === HALLS && rs.every((r) => r.presence === 'online' && r.name !== r.box), timeoutMs: 30000, everyMs: 250 },
  );
  t.same(
    rows.map((r) => [r.box, r.name, r.groups]).sort(),
    want.map((c) => [c.box.id, c.hall.name, c.hall.groups]).sort(),
    'every hall by id, under its name, in its groups',
  );
  const groups = (await api.get('/api/groups')).body as Array<{ group: string; name: string; counts: { total: number } }>;
  t.match(groups.find((g) => g.group === 'p-01'), { name: 'Hà Nội' }, 'provinces by name');
  t.match(groups.find((g) => g.group === 'demo'), { counts: { total: HALLS } });

  // Without media the demo makes no meeting; an operator makes one (as on the page) and calls the roll.
  t.same((await api.get('/api/meetings')).body, [], 'no meeting without media');
  const m = await api.post('/api/meetings', { title: 'roll call', bridge: 'http://127.0.0.1:9/janus', room: 1 });
  const rc = await api.post(`/api/meetings/${m.body.id}/rollcalls`, { scope: { all: true } });
  t.equal(rc.status, 200, JSON.stringify(rc.body));
  const done = await waitFor('every hall answering the roll call', async () => (await api.get(`/api/rollcalls/${rc.body.id}`)).body, {
    until: (r) => r.counts.answered === HALLS,
    timeoutMs: 15000,
    everyMs: 200,
  });
  t.match(done.counts, { asked: HALLS, answered: HALLS, heard: 0, missing: 0 }, 'all answered (not heard: no media)');
  t.comment(`the checks took ${((performance.now() - headerAt) / 1000).toFixed(1)} s of the ${DURATION_S} s`);

  t.equal(await demo.exited((DURATION_S + 30) * 1000), 0, 'the demo stopped by itself after --duration');
  const after = await fetch(`${h.console}/api/me`).then(
    (r) => `HTTP ${r.status}`,
    () => 'refused',
  );
  t.equal(after, 'refused', 'and the console with it');
});
