// The pure parts of the media path: the adaptation ladder (audio first, resolution and rate before audio-only) and
// the heard/seen tracker with its repair steps.
import t from 'tap';
import { AUDIO_ONLY, LADDER, initialAdapt, levelOutput, nextLevel, topLevel } from '../../agent/media/adapt.js';
import { HeardTracker, REPAIR_AFTER_MS, selftestVerdict, type RtpSnapshot } from '../../agent/media/heard.js';

t.test('ladder: top level from the quality cap and the capture', async (t) => {
  t.equal(LADDER[topLevel('720p', 720)].name, '720p30');
  t.equal(LADDER[topLevel('540p', 720)].name, '540p30');
  t.equal(LADDER[topLevel('720p', 360)].name, '360p30');
  const cap = { width: 1280, height: 720, fps: 30 };
  t.same(levelOutput(0, cap, 1500), { video: true, width: 1280, height: 720, stride: 1, kbps: 1500 });
  t.same(levelOutput(1, cap, 1500), { video: true, width: 960, height: 540, stride: 1, kbps: 900 });
  t.same(levelOutput(3, cap, 1500), { video: true, width: 640, height: 360, stride: 2, kbps: 300 });
  t.equal(levelOutput(AUDIO_ONLY, cap, 1500).video, false);
  t.equal(levelOutput(topLevel('720p', 360), { width: 640, height: 360, fps: 30 }, 1500).kbps, 1500, 'a 360p capture gets the whole ceiling');
});

t.test('ladder: loss steps down one level per two bad seconds, down to audio-only and no further', async (t) => {
  let s = initialAdapt(0);
  const bad = { audioLoss: 0.08, videoLoss: 0.2 };
  const names: string[] = [];
  for (let i = 0; i < 12; i++) {
    s = nextLevel(s, bad, 0);
    names.push(LADDER[s.level].name);
  }
  t.same([...new Set(names)], ['720p30', '540p30', '360p30', '360p15', 'audio-only']);
  t.equal(s.level, AUDIO_ONLY);
});

t.test('ladder: video loss alone steps video down; a single bad second does not', async (t) => {
  let s = initialAdapt(0);
  s = nextLevel(s, { audioLoss: 0, videoLoss: 0.3 }, 0);
  t.equal(s.level, 0, 'one bad sample: stay');
  s = nextLevel(s, { audioLoss: 0, videoLoss: 0 }, 0);
  s = nextLevel(s, { audioLoss: 0, videoLoss: 0.3 }, 0);
  t.equal(s.level, 0, 'bad samples must be consecutive');
  s = nextLevel(s, { audioLoss: 0, videoLoss: 0.3 }, 0);
  t.equal(s.level, 1);
});

t.test('ladder: clean seconds climb back, slower from audio-only, never above the cap', async (t) => {
  let s = { level: AUDIO_ONLY, bad: 0, good: 0 };
  let n = 0;
  while (s.level === AUDIO_ONLY && n < 100) (s = nextLevel(s, { audioLoss: 0, videoLoss: null }, 1)), n++;
  t.equal(n, 16, '16 clean seconds leave audio-only');
  n = 0;
  while (s.level > 1 && n < 100) (s = nextLevel(s, { audioLoss: 0.01, videoLoss: 0.01 }, 1)), n++;
  t.equal(n, 16, 'two more levels at 8 s each');
  for (let i = 0; i < 20; i++) s = nextLevel(s, { audioLoss: 0, videoLoss: 0 }, 1);
  t.equal(s.level, 1, 'capped at the top level');
});

const snap = (sent: number, reports: number | null, lost = 0, frac = 0): RtpSnapshot => ({
  packetsSent: sent, reports, packetsLost: lost, fractionLost: frac, jitterS: 0.004, rttS: 0.002,
});

t.test('heard: needs packets going out, fresh receiver reports and sound', async (t) => {
  const h = new HeardTracker();
  let now = 0;
  const step = (a: RtpSnapshot | null, v: RtpSnapshot | null, over: Partial<{ micDbfs: number; muted: boolean }> = {}) =>
    h.update({ now: (now += 1000), audio: a, video: v, micDbfs: -20, muted: false, videoActive: true, ...over });
  step(snap(50, null), snap(90, null));
  t.notOk(h.heard, 'no receiver report yet: not heard');
  step(snap(100, 1), snap(180, 1));
  t.ok(h.heard && h.seen, 'reports arrive: heard and seen');
  step(snap(150, 2), snap(270, 2), { micDbfs: -120 });
  t.notOk(h.heard, 'digital silence: not heard');
  step(snap(200, 3), snap(360, 3), { muted: true });
  t.notOk(h.heard, 'muted: not heard');
  step(snap(250, 4, 30, 0.6), snap(450, 4));
  t.notOk(h.heard, 'more than half lost: not heard');
  t.ok(h.seen, 'video still seen');
});

t.test('heard: video flows but audio reports stop -> renegotiate, then a new session', async (t) => {
  const h = new HeardTracker();
  let now = 0;
  const actions: string[] = [];
  for (let i = 0; i < 25; i++) {
    now += 1000;
    const a = snap(100 + i * 50, i < 3 ? i : 2); // audio reports stop after 3 s
    actions.push(h.update({ now, audio: a, video: snap(i * 90, i), micDbfs: -20, muted: false, videoActive: true }));
  }
  const first = actions.indexOf('renegotiate');
  t.ok(first > 0, 'renegotiates');
  t.ok(first * 1000 >= REPAIR_AFTER_MS, `not before ${REPAIR_AFTER_MS} ms of silence`);
  t.ok(actions.indexOf('new-session') > first, 'then a new session');
  t.equal(actions.filter((a) => a === 'renegotiate').length, 1, 'renegotiates once');
});

t.test('selftest verdict', async (t) => {
  const ok = selftestVerdict(snap(100, 5, 2), snap(250, 8, 3, 0), 3000);
  t.same(ok, { received: true, packetsSent: 150, packetsLost: 1, lossPct: 0.7, jitterMs: 4, rttMs: 2, reports: 3, durationMs: 3000 });
  const none = selftestVerdict(snap(100, 5), snap(250, 5), 3000);
  t.equal(none.received, false, 'no new receiver report: not received');
});
