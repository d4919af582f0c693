// A cascaded meeting whose origin takes only the halls the centre watches (`bridge.originUplinks: 'watched'`):
// three real Janus in network namespaces (the origin and two regional edges), two halls as real `diemcau run`
// processes, one on each edge, and the central console server. Every hall plays the programme through its edge, but
// no hall's uplink goes to the origin until an operator opens its preview or puts it in the floor queue; closing the
// preview, or revoking the floor, takes it off the origin again. (test/media/cascade.test.ts: every hall, `all`.)
import t from 'tap';
import { pushBridge, lastProgrammeCheck } from '../../lab/media/bridge-lan.js';
import { startCascadeWorld, ORIGIN, EDGE } from '../../lab/media/cascade-world.js';
import { waitFor } from '../../lab/wait.js';

const w = await startCascadeWorld({ perRegion: 1, originUplinks: 'watched' });
t.teardown(() => w.close());
const { lan, carrier, central, nat, halls, region, state, publishersOn } = w;

t.afterEach(async (t) => {
  if (!t.passing()) t.comment(central.lines.filter((l) => l.part === 'cascade').slice(-20).map((l) => JSON.stringify(l)).join('\n'));
});

/** The displays of the halls cascaded in to the origin (its remote publishers). */
const hallsOnOrigin = () => publishersOn(ORIGIN, true);

/** Waits until the origin holds exactly `want`, and says what it held. */
const originHolds = (want: string[], what: string) =>
  waitFor(what, hallsOnOrigin, { until: (on) => on.join() === [...want].sort().join(), timeoutMs: 20_000, everyMs: 250 });

const hallOf = (r: 'north' | 'central') => halls.find((h) => region[h.id] === r)!.id;

// Each region's bridge by one push, then the operator joins both regions (the console sends `join` without a bridge).
await Promise.all((['north', 'central'] as const).map((r) => pushBridge(carrier, `group:r-${r}`, lan.urls[EDGE[r]])));
const joined = await nat.post(`/api/meetings/${w.meeting}/join`, { scope: { groups: ['r-north', 'r-central'] } });
if (joined.status >= 300) throw new Error(`join: HTTP ${joined.status} ${JSON.stringify(joined.body)}`);
await Promise.all(halls.map((h) => state(h.id, (s) => s.media?.heard && s.media?.status === 'joined', 'heard on its edge', 0)));

t.test('nothing watched: every hall plays the programme through its edge, and the origin takes no hall', async (t) => {
  for (const h of halls) {
    const p = await waitFor(`${h.id} plays the programme`, () => lastProgrammeCheck(h), { until: (p) => (p?.frames ?? 0) >= 30, timeoutMs: 40_000, everyMs: 200 });
    t.ok(p!.frames >= 30, `${h.id} (${region[h.id]}): ${p!.frames} programme frames decoded through its edge`);
  }
  // Both halls have published on their edges for a while, and the cascade looks twice a second.
  t.ok(central.lines.some((l) => l.msg === 'cascade: linked' && l.display === 'centre'), 'the programme was cascaded to the edges');
  t.same(await hallsOnOrigin(), [], 'no hall on the origin');
});

t.test("a preview brings its hall to the origin, and only it; closing it takes the hall off", async (t) => {
  const north = hallOf('north');
  const opened = Date.now();
  const r = await nat.post(`/api/preview/${north}`);
  t.equal(r.status, 200, `POST /api/preview/${north}: HTTP ${r.status} ${r.status === 200 ? '' : JSON.stringify(r.body)}`);
  t.match(r.body.sdp, /m=audio[\s\S]*m=video/, `the preview's offer, with the hall's audio and video, ${Date.now() - opened} ms after the click`);
  t.same(await hallsOnOrigin(), [north], 'the origin holds the previewed hall alone');
  const closed = await nat.request('DELETE', `/api/preview/${r.body.id}`);
  t.equal(closed.status, 200, 'the preview closed');
  t.same(await originHolds([], 'the hall off the origin'), [], 'the origin holds no hall again');
});

t.test('the floor queue brings its halls to the origin; revoking takes them off', async (t) => {
  const centralHall = hallOf('central');
  const called = await nat.post(`/api/floor/${centralHall}/call`);
  t.equal(called.status, 200, `POST /api/floor/${centralHall}/call: HTTP ${called.status}`);
  t.same(await originHolds([centralHall], 'the called hall on the origin'), [centralHall], 'the origin holds the hall given the floor, so the centre can hear it');
  const revoked = await nat.post(`/api/floor/${centralHall}/revoke`);
  t.equal(revoked.status, 200, 'the floor revoked');
  t.same(await originHolds([], 'the hall off the origin'), [], 'and it is off the origin again');
});
