// The recovery policy (agent/media/recovery-policy.ts), a pure function of (observations, now): a table of single
// decisions, then whole outages played on a stepped clock, where each step the policy asks for takes the time the
// scenario says and the clock jumps over every wait. No real time passes.
import t from 'tap';
import { RECOVERY, decideRecovery, type RecoveryDecision, type RecoveryObservations, type RecoveryStep } from '../../agent/media/worker/recovery-policy.js';

const base: RecoveryObservations = { since: 0, sessionGone: false, connected: false, sessions: 0, last: null, jitter: 0.5 };
const ping: RecoveryDecision = { do: 'ping', timeoutMs: RECOVERY.pingTimeoutMs };
const wait = (ms: number): RecoveryDecision => ({ do: 'wait', ms });
const last = (step: RecoveryStep, ok: boolean, at: number) => ({ last: { step, ok, at } });

t.test('single decisions', async (t) => {
  const rows: Array<[string, Partial<RecoveryObservations>, number, RecoveryDecision]> = [
    ['connected on the same session: back, and the estimate restored', { connected: true }, 700, { do: 'recovered', restoreEstimate: true }],
    ['connected on a new session: back, nothing to restore', { connected: true, sessions: 2 }, 9000, { do: 'recovered', restoreEstimate: false }],
    ['just dropped: give consent a moment, looking every poll', {}, 0, wait(RECOVERY.pollMs)],
    ['the end of the settling time is the limit of a wait', {}, 450, wait(50)],
    ['settled and still down: ping the bridge', {}, 500, ping],
    ['ping unanswered: ping again after the interval, not before', { ...last('ping', false, 1500) }, 1600, wait(100)],
    ['ping unanswered, interval over: ping again', { ...last('ping', false, 1500) }, 1750, ping],
    ['the bridge answers: restart ICE', { ...last('ping', true, 1800) }, 1800, { do: 'ice-restart' }],
    ['the bridge answers after the window: the restart still goes ahead', { ...last('ping', true, 20100) }, 20100, { do: 'ice-restart' }],
    ['ICE restart negotiated: wait for ICE to connect', { ...last('ice-restart', true, 2000) }, 3000, wait(RECOVERY.pollMs)],
    ['ICE restart negotiated but not connected in time: ping again', { ...last('ice-restart', true, 2000) }, 4000, ping],
    ['ICE restart failed: ping again after the retry pause', { ...last('ice-restart', false, 2000) }, 2250, ping],
    ['window over at the next ping: a new session', { ...last('ping', false, 19900) }, 20150, { do: 'new-session' }],
    ['session gone (hung up, signalling lost): a new session at once, no settling', { sessionGone: true }, 0, { do: 'new-session' }],
    ['session gone while its ICE is still up (hung up; audio not heard): a new session all the same', { sessionGone: true, connected: true }, 0, { do: 'new-session' }],
    ['session gone, the new one connected: back', { sessionGone: true, connected: true, sessions: 1, ...last('new-session', true, 300) }, 400, { do: 'recovered', restoreEstimate: false }],
    ['new session failed: back off (jitter 0.5 of 500 ms)', { sessionGone: true, sessions: 1, ...last('new-session', false, 1000) }, 1100, wait(RECOVERY.pollMs)],
    ['new session failed, backoff over: another', { sessionGone: true, sessions: 1, ...last('new-session', false, 1000) }, 1250, { do: 'new-session' }],
    ['new session opened: wait for it to connect', { sessions: 1, ...last('new-session', true, 1000) }, 3000, wait(RECOVERY.pollMs)],
    ['new session opened, not connected in time: the backoff follows the connect wait', { sessions: 1, ...last('new-session', true, 1000) }, 6200, wait(50)],
    ['new session opened, never connected: back off, then another', { sessions: 1, ...last('new-session', true, 1000) }, 6250, { do: 'new-session' }],
    ['a new session after the window stays in new sessions (no ICE restarts on it)', { sessions: 1, ...last('new-session', false, 21000), jitter: 0 }, 21000, { do: 'new-session' }],
    ['backoff doubles per session: the 5th waits up to 8 s', { sessionGone: true, sessions: 5, jitter: 1, ...last('new-session', false, 0) }, 7999, wait(1)],
    ['backoff is capped', { sessionGone: true, sessions: 9, jitter: 1, ...last('new-session', false, 0) }, RECOVERY.sessionBackoffMaxMs, { do: 'new-session' }],
    ['jitter 0: no backoff at all', { sessionGone: true, sessions: 4, jitter: 0, ...last('new-session', false, 300) }, 300, { do: 'new-session' }],
  ];
  for (const [name, o, now, want] of rows) t.same(decideRecovery({ ...base, ...o }, now), want, name);
  t.same(
    decideRecovery({ ...base, sessionGone: true, sessions: 9, jitter: 1, ...last('new-session', false, 0) }, 1999, { ...RECOVERY, sessionBackoffMaxMs: 2000 }),
    wait(1),
    'the cap is a setting (media.restartBackoffMaxMs)',
  );
});

/** How the world answers the steps: each says how long it takes and whether it works, at the time it starts. */
interface Outcome {
  ms: number;
  ok: boolean;
  /** The session is connected this long after the step ended. */
  connectsAfterMs?: number;
}
interface World {
  ping(at: number): Outcome;
  iceRestart(at: number): Outcome;
  newSession(at: number): Outcome;
}

/** Plays an outage on a stepped clock; returns the steps taken ("ping@500 no") and how it ended. */
function play(world: World, start: Partial<RecoveryObservations>, limitMs = 120_000, settings = RECOVERY) {
  const o: RecoveryObservations = { ...base, ...start };
  let now = o.since;
  let connectedAt = Infinity;
  const steps: string[] = [];
  const badWaits: string[] = [];
  let jitterIndex = 0;
  const jitters = [1, 0.5, 0.25];
  while (now < limitMs) {
    o.connected = now >= connectedAt;
    const d = decideRecovery(o, now, settings);
    if (d.do === 'recovered') return { steps, at: now, restoreEstimate: d.restoreEstimate, badWaits };
    if (d.do === 'wait') {
      // Every wait is short, so a connection that comes back meanwhile is noticed within a poll.
      if (!(d.ms > 0 && d.ms <= settings.pollMs)) badWaits.push(`${d.ms} ms at ${now}`);
      now += d.ms;
      continue;
    }
    const r: Outcome = d.do === 'ping' ? world.ping(now) : d.do === 'ice-restart' ? world.iceRestart(now) : world.newSession(now);
    steps.push(`${d.do}@${now} ${r.ok ? 'ok' : 'no'}`);
    now += r.ms;
    if (d.do === 'new-session') {
      o.sessions++;
      o.jitter = jitters[jitterIndex++ % jitters.length];
      connectedAt = Infinity;
    }
    if (r.ok && r.connectsAfterMs !== undefined) connectedAt = now + r.connectsAfterMs;
    o.last = { step: d.do, ok: r.ok, at: now };
  }
  return { steps, at: null, restoreEstimate: null, badWaits };
}

t.test('link down 3 s: pings until the bridge answers, one ICE restart, the same session back', async (t) => {
  const r = play(
    {
      // While the link is down a ping fails at once (no route); once up, the bridge answers in 5 ms.
      ping: (at) => (at < 3000 ? { ms: 0, ok: false } : { ms: 5, ok: true }),
      iceRestart: () => ({ ms: 60, ok: true, connectsAfterMs: 300 }),
      newSession: () => (t.fail('no new session'), { ms: 0, ok: false }),
    },
    {},
  );
  t.equal(r.steps[0], 'ping@500 no', 'the first ping after the settling time');
  t.equal(r.steps.filter((s) => s.startsWith('ping')).length, 11, 'pings every 250 ms while down (500..3000 ms)');
  t.same(r.steps.slice(-2), ['ping@3000 ok', 'ice-restart@3005 ok']);
  t.equal(r.at, 3365, 'back as ICE connects (3005 + 60 + 300)');
  t.equal(r.restoreEstimate, true, 'same session: the bandwidth estimate is restored');
  t.same(r.badWaits, [], 'no wait longer than a poll');
});

t.test('consent resumes by itself within the settling time: nothing is done', async (t) => {
  const r = play(
    {
      ping: () => (t.fail('no ping'), { ms: 0, ok: false }),
      iceRestart: () => (t.fail('no restart'), { ms: 0, ok: false }),
      newSession: () => (t.fail('no session'), { ms: 0, ok: false }),
    },
    {},
    300,
  );
  t.same(r.steps, [], 'no step within the settling time');
  const o: RecoveryObservations = { ...base };
  t.same(decideRecovery({ ...o, connected: true }, 400), { do: 'recovered', restoreEstimate: true }, 'connected again at 400 ms: back');
});

t.test('the bridge never answers: 20 s of ICE attempts, then new sessions with doubling backoff until one connects', async (t) => {
  const r = play(
    {
      ping: () => ({ ms: RECOVERY.pingTimeoutMs, ok: false }),
      iceRestart: () => (t.fail('no restart without an answer'), { ms: 0, ok: false }),
      // Fails (request timeout) until 40 s; then opens in 200 ms and connects 400 ms later.
      newSession: (at) => (at < 40_000 ? { ms: 5000, ok: false } : { ms: 200, ok: true, connectsAfterMs: 400 }),
    },
    {},
  );
  const sessions = r.steps.filter((s) => s.startsWith('new-session'));
  const first = Number(sessions[0].split('@')[1].split(' ')[0]);
  t.ok(first >= RECOVERY.iceRestartWindowMs && first < RECOVERY.iceRestartWindowMs + RECOVERY.pingTimeoutMs + RECOVERY.pingIntervalMs, `the first new session once the window is over (${first} ms)`);
  const starts = sessions.map((s) => Number(s.split('@')[1].split(' ')[0]));
  const gaps = starts.slice(1).map((s, i) => s - starts[i] - 5000);
  // Jitter shares 1, 0.5, 0.25 in turn, of 500, 1000, 2000, 4000 ms.
  t.same(gaps.slice(0, 4), [500, 500, 500, 4000], 'backoff: jitter times the doubling base');
  t.ok(r.at !== null && r.at >= 40_000, `back once a session connects (${r.at} ms)`);
  t.same(r.badWaits, [], 'no wait longer than a poll');
  t.equal(r.restoreEstimate, false, 'a new session: nothing to restore');
});

t.test('the bridge hung up: a new session at once, no pings, no ICE restart', async (t) => {
  const r = play(
    {
      ping: () => (t.fail('no ping'), { ms: 0, ok: false }),
      iceRestart: () => (t.fail('no restart'), { ms: 0, ok: false }),
      newSession: () => ({ ms: 150, ok: true, connectsAfterMs: 200 }),
    },
    { sessionGone: true, since: 1000 },
  );
  t.same(r.steps, ['new-session@1000 ok']);
  t.equal(r.at, 1350, 'back as the session connects (1000 + 150 + 200)');
});

t.test('every timing is a positive whole number of ms, and the waits fit inside the ICE window', async (t) => {
  for (const [k, v] of Object.entries(RECOVERY)) t.ok(Number.isInteger(v) && v > 0, `${k} = ${v}`);
  t.ok(RECOVERY.pollMs <= RECOVERY.pingIntervalMs, 'the poll is no coarser than the ping interval');
  t.ok(RECOVERY.settleMs + RECOVERY.iceConnectWaitMs < RECOVERY.iceRestartWindowMs, 'the window holds a settle and a restart');
});
