// When the worker subscribes to the programme: at once, again after a failure once the retry time has passed
// (not before), not while a subscription is on its way, again when the programme went silent past the stale time,
// and never on behalf of a session that has been replaced. What counts as the programme arriving: audio packets
// or decoded frames going up on the same subscription (its PeerConnection's stats), read once a second at most.
import t from 'tap';
import { ProgrammeFreshness, ProgrammeKeeper } from '../../agent/media/worker/programme-keeper.js';
import { sleep, waitFor } from '../../lab/wait.js';

// The keeper reads the wall clock. "Not before" checks happen within a few ms of the event they follow; the
// times are set so that even a machine stalled for most of a second cannot carry them past: a retry time of 1 s,
// a stale time of 1.5 s, and the sleeps that pass them go over by 100 ms or more.
const RETRY_MS = 1000;
const STALE_MS = 1500;

t.test('subscribe, retry after failure, resubscribe when silent', async (t) => {
  const warnings: string[] = [];
  const k = new ProgrammeKeeper((m, f) => warnings.push(`${m}${f?.err ? `: ${f.err}` : ''}`), { stale: STALE_MS, retry: RETRY_MS });
  let calls = 0;
  let outcome: 'ok' | 'fail' | 'hang' = 'fail';
  const subscribe = () => {
    calls++;
    if (outcome === 'hang') return new Promise<void>(() => {});
    return outcome === 'ok' ? Promise.resolve() : Promise.reject(new Error('HTTP 404'));
  };
  const current = () => true;

  k.keep(subscribe, 0, current);
  t.equal(calls, 1, 'subscribes at once');
  await waitFor('the failure named', () => warnings, { until: (w) => w.length > 0 });
  t.same(warnings, ['media: programme not received: HTTP 404'], 'the failure is named');
  k.keep(subscribe, 0, current);
  t.equal(calls, 1, 'no retry before the retry time');
  await sleep(RETRY_MS + 100);
  outcome = 'ok';
  k.keep(subscribe, 0, current);
  t.equal(calls, 2, 'retried after it');
  await sleep(10);
  k.keep(subscribe, Date.now(), current);
  t.equal(calls, 2, 'on and the programme flowing: nothing to do');
  const lastInput = Date.now();
  await sleep(STALE_MS + 100);
  outcome = 'hang';
  k.keep(subscribe, lastInput, current);
  t.equal(calls, 3, 'silent past the stale time: subscribes again');
  t.match(warnings.at(-1), /programme stopped; subscribing again/);
  k.keep(subscribe, lastInput, current);
  t.equal(calls, 3, 'not while a subscription is on its way');
});

t.test('a replaced session does not set the state', async (t) => {
  // A retry time no test run reaches: a second subscription can only come from the reset.
  const k = new ProgrammeKeeper(() => {}, { stale: 60_000, retry: 60_000 });
  let calls = 0;
  let replaced = false;
  k.keep(() => (calls++, Promise.reject(new Error('x'))), 0, () => !replaced);
  replaced = true;
  k.reset();
  await sleep(10);
  k.keep(() => (calls++, Promise.resolve()), 0, () => true);
  t.equal(calls, 2, 'the new session subscribes at once: the old failure did not start a retry wait');
});

t.test("a session's own stale time (the join's programmeStaleMs), and the keeper's again without one", async (t) => {
  // The keeper's own stale time is one no test run reaches: a renewal can only come from the session's.
  const k = new ProgrammeKeeper(() => {}, { stale: 60_000, retry: 60_000 });
  let calls = 0;
  const subscribe = () => (calls++, Promise.resolve());
  k.reset(STALE_MS);
  k.keep(subscribe, 0, () => true);
  await sleep(10);
  const lastInput = Date.now();
  k.keep(subscribe, lastInput, () => true);
  t.equal(calls, 1, 'on, the programme flowing');
  await sleep(STALE_MS + 100);
  k.keep(subscribe, lastInput, () => true);
  t.equal(calls, 2, "silent past the session's stale time: subscribes again");
  k.reset();
  k.keep(subscribe, 0, () => true);
  await sleep(10);
  k.keep(subscribe, lastInput, () => true);
  t.equal(calls, 3, 'a new session without one subscribes at once');
  await sleep(STALE_MS + 100);
  k.keep(subscribe, lastInput, () => true);
  t.equal(calls, 3, "and keeps to the keeper's own stale time");
});

t.test('freshness: only new packets or new decoded frames on the same subscription count', async (t) => {
  const f = new ProgrammeFreshness();
  const sub = {};
  const at = (s: number) => 1_000_000 + s * 1000;
  f.note(sub, { at: at(0), audioPackets: 0, framesDecoded: 0 });
  t.equal(f.lastArrivedAt, 0, 'a subscription on which nothing arrived yet: nothing arrived');
  f.note(sub, { at: at(1), audioPackets: 50, framesDecoded: 30 });
  t.equal(f.lastArrivedAt, at(1), 'packets and frames went up: arrived');
  f.note(sub, { at: at(2), audioPackets: 100, framesDecoded: 30 });
  t.equal(f.lastArrivedAt, at(2), 'audio packets alone (an audio-only programme): arrived');
  f.note(sub, { at: at(3), audioPackets: 100, framesDecoded: 60 });
  t.equal(f.lastArrivedAt, at(3), 'decoded frames alone: arrived');
  for (let s = 4; s < 40; s++) f.note(sub, { at: at(s), audioPackets: 100, framesDecoded: 60, videoPackets: 900, pliSent: 2 });
  t.equal(f.lastArrivedAt, at(3), 'the same counts for 36 s (a dead subscription, its audio sink still handing out silence): nothing arrived');
  t.same(f.report(), { audioPackets: 100, framesDecoded: 60, videoPackets: 900, pliSent: 2, lastArrivedAt: at(3) }, 'reported as read');

  const renewed = {};
  f.note(renewed, { at: at(40), audioPackets: 0, framesDecoded: 0 });
  t.equal(f.lastArrivedAt, at(3), 'a new subscription with nothing on it yet: still nothing (not compared with the old one)');
  f.note(renewed, { at: at(41), audioPackets: 20, framesDecoded: 5 });
  t.equal(f.lastArrivedAt, at(41), 'its first packets count, though fewer than the old one had');
  f.note(sub, { at: at(39), audioPackets: 100, framesDecoded: 60 });
  t.equal(f.lastArrivedAt, at(41), 'a late reading never moves the time back');
});

t.test('freshness: one reading a second at most', async (t) => {
  const f = new ProgrammeFreshness(1000);
  t.ok(f.due(5000), 'the first reading at once');
  t.notOk(f.due(5100), 'not again within the second (a centre ticks every 100 ms)');
  t.notOk(f.due(5999), 'nor just before it ends');
  t.ok(f.due(6000), 'again after it');
  t.notOk(f.due(6000), 'a yes counts as taken: a slow reading is not started twice');
});

t.test('keeper and freshness together: a flowing programme is kept, one whose counts stand still is renewed', async (t) => {
  const warnings: string[] = [];
  const k = new ProgrammeKeeper((m) => warnings.push(m), { stale: STALE_MS, retry: RETRY_MS });
  const f = new ProgrammeFreshness(0);
  let calls = 0;
  const subscribe = () => (calls++, Promise.resolve());
  const sub = {};
  let packets = 0;
  const tick = (flowing: boolean) => {
    if (flowing) packets += 50;
    f.note(sub, { at: Date.now(), audioPackets: packets, framesDecoded: 0 });
    k.keep(subscribe, f.lastArrivedAt, () => true);
  };
  tick(true);
  t.equal(calls, 1, 'subscribed');
  const flowUntil = Date.now() + STALE_MS + 500;
  while (Date.now() < flowUntil) {
    await sleep(100);
    tick(true);
  }
  t.equal(calls, 1, 'packets kept arriving past the stale time: not renewed');
  // The counts stand still from here. Measured right after the keeper looked (its clock reading is never later
  // than ours), so a stalled machine cannot make this fail: only a renewal before the stale time can.
  const lastArrived = f.lastArrivedAt;
  let renewedAfterMs = 0;
  const still = () => {
    tick(false);
    if (calls === 2 && !renewedAfterMs) renewedAfterMs = Date.now() - lastArrived;
    return calls;
  };
  await waitFor('the keeper renewing the subscription', still, { until: (n) => n === 2, timeoutMs: STALE_MS + 3000, everyMs: 100 });
  t.ok(renewedAfterMs > STALE_MS, `renewed once the counts stood still past the stale time (${renewedAfterMs} ms > ${STALE_MS})`);
  t.same(warnings, ['media: programme stopped; subscribing again']);
});

t.test('freshness: video packets with no frame decoded and keyframes asked for mark the picture frozen', async (t) => {
  const f = new ProgrammeFreshness(0);
  const sub = {};
  const at = (s: number) => 2_000_000 + s * 1000;
  f.note(sub, { at: at(0), audioPackets: 50, framesDecoded: 30, videoPackets: 100, pliSent: 1 });
  t.equal(f.frozenSince, 0, 'frames decode: not frozen');
  f.note(sub, { at: at(1), audioPackets: 100, framesDecoded: 30, videoPackets: 200, pliSent: 1 });
  t.equal(f.frozenSince, 0, 'video came, no new frame, but no keyframe asked for (padding on a stream with no picture): not frozen');
  f.note(sub, { at: at(2), audioPackets: 150, framesDecoded: 30, videoPackets: 300, pliSent: 3 });
  t.equal(f.frozenSince, at(1), 'the decoder asks for keyframes: frozen since the first video that did not decode');
  f.note(sub, { at: at(3), audioPackets: 200, framesDecoded: 30, videoPackets: 400, pliSent: 4 });
  t.equal(f.frozenSince, at(1), 'still frozen: the time it began is kept');
  t.equal(f.lastArrivedAt, at(3), 'audio still arrives: the programme is not stale');
  f.note(sub, { at: at(4), audioPackets: 250, framesDecoded: 31, videoPackets: 500, pliSent: 4 });
  t.equal(f.frozenSince, 0, 'a frame decoded: not frozen');
  f.note(sub, { at: at(5), audioPackets: 300, framesDecoded: 31, videoPackets: 500, pliSent: 4 });
  t.equal(f.frozenSince, 0, 'no video at all (an audio-only programme): not frozen, nothing to decode');
  f.note(sub, { at: at(6), audioPackets: 350, framesDecoded: 31, videoPackets: 600, pliSent: 5 });
  t.equal(f.frozenSince, at(6), 'frozen again');
  const renewed = {};
  f.note(renewed, { at: at(7), audioPackets: 0, framesDecoded: 0, videoPackets: 0, pliSent: 0 });
  t.equal(f.frozenSince, 0, 'a new subscription starts unfrozen');
  f.note(renewed, { at: at(8), audioPackets: 40, framesDecoded: 0, videoPackets: 90, pliSent: 1 });
  t.equal(f.frozenSince, at(8), 'and is frozen from its first video that does not decode, keyframes asked for');
});

t.test('keeper: a frozen picture is renewed after the frozen time, then after twice that', async (t) => {
  const FROZEN_MS = 600;
  const warnings: string[] = [];
  // A stale time no test run reaches: every renewal here is for the frozen picture.
  const k = new ProgrammeKeeper((m) => warnings.push(m), { stale: 60_000, retry: RETRY_MS, frozen: FROZEN_MS });
  let calls = 0;
  const subscribe = () => (calls++, Promise.resolve());
  const on = () => true;
  k.keep(subscribe, 0, on);
  await sleep(10);
  t.equal(calls, 1, 'subscribed');
  const frozenAt = Date.now();
  k.keep(subscribe, Date.now(), on, frozenAt);
  t.equal(calls, 1, 'frozen just now: nothing yet');
  const first = await waitFor('a renewal for the frozen picture', () => (k.keep(subscribe, Date.now(), on, frozenAt), calls), { until: (n) => n === 2, everyMs: 20, timeoutMs: 5000 });
  t.equal(first, 2);
  t.ok(Date.now() - frozenAt > FROZEN_MS, `renewed after the frozen time (${Date.now() - frozenAt} ms > ${FROZEN_MS})`);
  t.match(warnings, [/picture frozen/], 'and named');
  await sleep(10);
  // The new subscription is frozen too: the next renewal waits twice as long, counted from the renewal.
  const renewedAt = Date.now();
  const frozen2 = Date.now();
  await waitFor('a second renewal', () => (k.keep(subscribe, Date.now(), on, frozen2), calls), { until: (n) => n === 3, everyMs: 20, timeoutMs: 8000 });
  t.ok(Date.now() - renewedAt > 2 * FROZEN_MS, `the second after twice the frozen time (${Date.now() - renewedAt} ms > ${2 * FROZEN_MS})`);
  await sleep(10);
  // The picture decodes on the third: no renewal however long it runs.
  const until = Date.now() + 3 * FROZEN_MS;
  while (Date.now() < until) {
    k.keep(subscribe, Date.now(), on, 0);
    await sleep(50);
  }
  t.equal(calls, 3, 'a decoding picture is kept');
  t.equal(warnings.length, 2);
});

t.test('keeper: a subscription known lost is renewed at the next tick; nothing to renew when none is on', async (t) => {
  const warnings: string[] = [];
  const k = new ProgrammeKeeper((m) => warnings.push(m), { stale: 60_000, retry: 60_000, frozen: 60_000 });
  let calls = 0;
  const subscribe = () => (calls++, Promise.resolve());
  k.lost('bridge hung up: subscriber: ICE failed');
  t.same(warnings, [], 'nothing subscribed yet: nothing lost');
  k.keep(subscribe, 0, () => true);
  await sleep(10);
  k.keep(subscribe, Date.now(), () => true);
  t.equal(calls, 1, 'on');
  k.lost('bridge hung up: subscriber: ICE failed');
  t.match(warnings, [/programme subscription lost; subscribing again/]);
  k.keep(subscribe, Date.now(), () => true);
  t.equal(calls, 2, 'subscribed again at the next tick, not after the 60 s stale or retry time');
});

t.test("keeper: the subscription's ICE down past iceDownMs while the session is up: renewed at the next tick", async (t) => {
  const warnings: string[] = [];
  const k = new ProgrammeKeeper((m, f) => warnings.push(`${m} (${f?.reason})`), { stale: 60_000, retry: 60_000, frozen: 60_000, iceDown: 5000 });
  let calls = 0;
  const subscribe = () => (calls++, Promise.resolve());
  k.keep(subscribe, 0, () => true);
  await sleep(10);
  k.iceDown(0);
  k.iceDown(Date.now() - 4000);
  k.keep(subscribe, Date.now(), () => true);
  t.equal(calls, 1, 'up, or down for less than 5 s: kept');
  k.iceDown(Date.now() - 6000);
  t.match(warnings, [/subscription lost; subscribing again \(programme ICE down 6 s\)/]);
  k.keep(subscribe, Date.now(), () => true);
  t.equal(calls, 2, 'down for 6 s: subscribed again at the next tick');
});
