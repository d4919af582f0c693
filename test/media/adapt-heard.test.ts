// The pure parts of the media path: the adaptation ladder (audio first, resolution and rate before audio-only), the
// bandwidth estimate kept for after an outage and the answer munging that restores it, and the heard/seen tracker
// with its repair steps.
import t from 'tap';
import { AUDIO_ONLY, EstimateMemory, LADDER, initialAdapt, levelOutput, nextLevel, topLevel } from '../../agent/media/worker/adapt.js';
import { withVideoBandwidth, withVideoStartBitrate } from '../../agent/media/worker/peer.js';
import { HeardTracker, REPAIR_AFTER_MS, selftestVerdict, type RtpSnapshot } from '../../agent/media/worker/heard.js';

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

t.test("ladder: a join's shorter climb (adaptGoodSamples) counts its own clean seconds", async (t) => {
  let s = { level: AUDIO_ONLY, bad: 0, good: 0 };
  let n = 0;
  while (s.level === AUDIO_ONLY && n < 100) (s = nextLevel(s, { audioLoss: 0, videoLoss: null }, 2, 2)), n++;
  t.equal(n, 4, 'twice the 2 samples leave audio-only');
  n = 0;
  while (s.level > 2 && n < 100) (s = nextLevel(s, { audioLoss: 0, videoLoss: 0 }, 2, 2)), n++;
  t.equal(n, 2, 'then 2 per level');
  t.equal(LADDER[s.level].name, '360p30');
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

t.test('heard: no video seen and nothing heard while the session is up -> the same repair; not while recovering', async (t) => {
  // Audio-only (no video sent), audio reports stop after 3 s: deaf from 7 s on, as with video seen.
  const run = (joined: (s: number) => boolean) => {
    const h = new HeardTracker();
    const acted: string[] = [];
    for (let s = 1; s <= 24; s++) {
      const a = h.update({ now: s * 1000, audio: snap(100 + s * 50, Math.min(s, 3)), video: null, micDbfs: -20, muted: false, videoActive: false, joined: joined(s) });
      if (a !== 'none') acted.push(`${s} s: ${a}`);
    }
    return acted;
  };
  t.same(run(() => true), ['12 s: renegotiate', '20 s: new-session'], 'audio-only and deaf: renegotiate, then a new session');
  t.same(run((s) => s > 15), ['21 s: renegotiate'], 'deaf time counts from the end of a recovery, not from its start');
  const quiet = new HeardTracker();
  const acted = [];
  // Nothing sent at all (the sender stopped): no audio going out, nothing for the bridge to hear.
  for (let s = 1; s <= 20; s++) acted.push(quiet.update({ now: s * 1000, audio: snap(100, Math.min(s, 3)), video: null, micDbfs: -20, muted: false, videoActive: false }));
  t.notOk(acted.some((a) => a !== 'none'), 'no audio going out: not a deaf bridge');
});

t.test('heard: the repair timings are settings (media.audioRepairAfterMs, audioNewSessionAfterMs)', async (t) => {
  // Audio reports stop after 3 s: stale, so deaf, from 7 s on.
  const run = (h: HeardTracker, seconds: number) => {
    const acted: string[] = [];
    for (let s = 1; s <= seconds; s++) {
      const a = h.update({ now: s * 1000, audio: snap(100 + s * 50, Math.min(s, 3)), video: snap(s * 90, s), micDbfs: -20, muted: false, videoActive: true });
      if (a !== 'none') acted.push(`${s} s: ${a}`);
    }
    return acted;
  };
  t.same(run(new HeardTracker(), 24), ['12 s: renegotiate', '20 s: new-session'], 'shipped: 5 s deaf, then 8 s more');
  t.same(run(new HeardTracker({ repairAfterMs: 2000, newSessionAfterMs: 4000 }), 16), ['9 s: renegotiate', '13 s: new-session'], 'set: 2 s, then 4 s');
});

t.test('selftest verdict', async (t) => {
  const ok = selftestVerdict(snap(100, 5, 2), snap(250, 8, 3, 0), 3000);
  t.same(ok, { received: true, packetsSent: 150, packetsLost: 1, lossPct: 0.7, jitterMs: 4, rttMs: 2, reports: 3, durationMs: 3000 });
  const none = selftestVerdict(snap(100, 5), snap(250, 5), 3000);
  t.equal(none.received, false, 'no new receiver report: not received');
});

t.test('estimate memory: the best reading of the last 10 s', async (t) => {
  const m = new EstimateMemory(10_000);
  t.equal(m.best(0), null, 'nothing noted yet');
  m.note(0, 1400);
  m.note(1000, 1500);
  m.note(6000, 900); // the link is gone and the estimate starts to fall
  t.equal(m.best(7000), 1500);
  t.equal(m.best(11_500), 900, 'readings older than the window are forgotten');
  m.note(30_000, 300);
  t.equal(m.best(30_000), 300);
  t.equal(m.best(45_000), null);
});

t.test('answer munging: start bitrate on every video codec, nothing else touched', async (t) => {
  // Shaped like Janus's answer: VP8 without fmtp, VP9 with one, RTX for VP8, Opus with its own fmtp.
  const sdp = [
    'v=0', 'o=- 1 2 IN IP4 10.0.0.1', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 10.0.0.1', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98', 'c=IN IP4 10.0.0.1', 'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack',
    'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96', 'a=rtpmap:98 VP9/90000', 'a=fmtp:98 profile-id=0', '',
  ].join('\r\n');
  const once = withVideoStartBitrate(sdp, 1200);
  t.match(once, /a=rtpmap:96 VP8\/90000\r\na=fmtp:96 x-google-start-bitrate=1200\r\n/, 'VP8 gets an fmtp line of its own');
  t.match(once, /a=fmtp:98 profile-id=0;x-google-start-bitrate=1200\r\n/, 'VP9 keeps its parameters');
  t.match(once, /a=fmtp:97 apt=96\r\n/, 'RTX untouched');
  t.match(once, /a=fmtp:111 minptime=10;useinbandfec=1\r\n/, 'audio untouched');
  const twice = withVideoStartBitrate(once, 800);
  t.equal(twice.match(/x-google-start-bitrate/g)?.length, 2, 'a new value replaces the old one');
  t.match(twice, /a=fmtp:96 x-google-start-bitrate=800\r\n/);
  const both = withVideoBandwidth(twice, 1500);
  t.match(both, /m=video[^]*c=IN IP4 10.0.0.1\r\nb=AS:1500\r\n/, 'the ceiling goes with it');
  t.notMatch(both.split('m=video')[0], /b=AS/, 'not on audio');
});
