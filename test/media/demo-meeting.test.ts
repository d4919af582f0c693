// The demo runs a meeting through its console (a media test: the demo starts Janus in a network namespace and its
// halls send a test pattern and a tone; root). Run as a person runs it, for a bounded time: the demo creates the
// meeting in the console and joins its halls by one group command; with the printed login, an operator's HTTP
// client (what the page uses) sees them heard, calls the roll (every hall answers heard), takes a talk press into
// the floor queue and grants it (the hall's tally goes on air, its mic opens), and opens a preview of a hall the
// group command joined (its feed is found by its box id). Then Ctrl-C, as a person ends it.
import t from 'tap';
import { startDemo } from '../../lab/demo-process.js';
import { ConsoleClient } from '../../lab/central.js';
import { pressButton } from '../../lab/hall-capabilities.js';
import { HALL_PATTERNS } from '../../agent/hall.js';
import { waitFor } from '../../lab/wait.js';

if (process.getuid?.() !== 0) {
  t.plan(0, 'the demo runs Janus in a network namespace, which needs root');
  process.exit(0);
}

const HALLS = 2;
const DURATION_S = 90;

t.test('the demo meeting: heard, roll call, floor granted, preview, from the console', async (t) => {
  const demo = startDemo(['--halls', String(HALLS), '--duration', String(DURATION_S), '--console-port', '0']);
  t.teardown(() => demo.stop());
  const h = await demo.header(90000);
  const api = await ConsoleClient.login(h.console, h.username, h.password);

  const meetings = await waitFor('the demo meeting', async () => (await api.get('/api/meetings')).body as any[], { until: (m) => m.length === 1, timeoutMs: 30000, everyMs: 250 });
  t.match(meetings[0], { title: 'Demo meeting', createdBy: 'demo', endedAt: null }, 'the demo made its meeting in the console');
  const rows = await waitFor(
    'every demo hall heard',
    async () => (await api.get('/api/halls?limit=100')).body.halls as Array<{ box: string; state: string }>,
    { until: (rs) => rs.length === HALLS && rs.every((r) => r.state === 'heard'), timeoutMs: 60000, everyMs: 200 },
  );
  const audit = (await api.get('/api/audit?limit=50')).body as Array<{ action: string; operator: string; scope: unknown; outcome: string }>;
  t.match(audit.find((a) => a.action === 'meeting.join'), { operator: 'demo', scope: { groups: ['demo'] }, outcome: 'ok' }, 'joined by the demo group, through the console');

  const rc = await api.post(`/api/meetings/${meetings[0].id}/rollcalls`, { scope: { all: true } });
  const done = await waitFor('every hall answering the roll call', async () => (await api.get(`/api/rollcalls/${rc.body.id}`)).body, {
    until: (r) => r.counts.answered === HALLS,
    timeoutMs: 15000,
    everyMs: 200,
  });
  t.match(done.counts, { asked: HALLS, answered: HALLS, heard: HALLS, missing: 0 }, 'every hall answered, heard at the centre');

  const box = rows[0].box;
  await pressButton(h.broker, box, 'talk');
  await waitFor('the talk press in the floor queue', async () => (await api.get('/api/floor')).body.queue, { until: (q: any[]) => q.some((e) => e.box === box && e.status === 'requested'), timeoutMs: 15000, everyMs: 200 });
  t.equal((await api.post(`/api/floor/${box}/grant`)).status, 200, 'granted');
  const st = await waitFor('tally on air, floor granted, in the hall\'s reported state', async () => (await api.get(`/api/halls/${box}`)).body.state, {
    until: (s: any) => s.devices?.panel?.leds?.tally === HALL_PATTERNS['on-air'].tally && s.hall?.floor?.status === 'granted',
    timeoutMs: 15000,
    everyMs: 200,
  });
  t.equal(st.media.muted, false, 'the mic is open');
  t.equal((await api.post(`/api/floor/${box}/revoke`)).status, 200, 'revoked');

  const preview = await api.post(`/api/preview/${rows[1].box}`);
  t.equal(preview.status, 200, `a hall joined by the group command can be previewed ${preview.status === 200 ? '' : JSON.stringify(preview.body)}`);
  if (preview.status === 200) t.equal((await api.request('DELETE', `/api/preview/${preview.body.id}`)).status, 200);

  // Stopped as a person stops it, with Ctrl-C (test/lab/demo-console.test.ts waits out --duration instead).
  demo.proc.kill('SIGINT');
  t.equal(await demo.exited(30000), 0, 'Ctrl-C stops the demo, Janus and the console with it');
});
