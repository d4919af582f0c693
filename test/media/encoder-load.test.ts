// The CPU's say in the adaptation ladder (encoder-load.ts, adapt.ts): a box too slow for its level steps down by
// itself with no loss on the link, holds a level it can carry, climbs back when the CPU has room again, and a low
// bitrate's dropped frames (libvpx's rate control) are not taken for a slow CPU. Pure: counters as the worker reads
// them, a second apart.
import t from 'tap';
import { AUDIO_ONLY, LADDER, initialAdapt, nextLevel, type AdaptState } from '../../agent/media/worker/adapt.js';
import { costRatio, cpuVerdict, encoderLoad, type EncoderCounters } from '../../agent/media/worker/encoder-load.js';

const FPS = 30;
const clean = { audioLoss: 0, videoLoss: 0 };

/** One second at a level: the camera's 30 frames, `encoded` of them encoded at `msPerFrame` each. */
function second(prev: EncoderCounters, encoded: number, msPerFrame: number): EncoderCounters {
  return { at: prev.at + 1000, produced: prev.produced + FPS, encoded: prev.encoded + encoded, encodeTimeS: (prev.encodeTimeS ?? 0) + (encoded * msPerFrame) / 1000 };
}

const zero: EncoderCounters = { at: 0, produced: 0, encoded: 0, encodeTimeS: 0 };

t.test('load: time per frame over the frame interval, frames kept over frames produced after the stride', async (t) => {
  const x = encoderLoad(zero, second(zero, 30, 11), FPS, 1)!;
  t.equal(x.kept, 1);
  t.ok(Math.abs(x.load! - 0.33) < 0.001, `11 ms a frame at 30 fps is a third of the interval (${x.load})`);
  const y = encoderLoad(zero, second(zero, 15, 11), FPS, 2)!;
  t.equal(y.kept, 1, 'at a stride of 2, 15 of 30 frames is all of them');
  t.ok(Math.abs(y.load! - 0.165) < 0.001, `and the interval is 66 ms (${y.load})`);
  t.equal(encoderLoad(zero, { ...second(zero, 30, 11), encodeTimeS: null }, FPS, 1)!.load, null, 'no encode times: no load');
  t.equal(encoderLoad(zero, { ...zero, at: 200 }, FPS, 1), null, 'too short a reading says nothing');
  t.equal(encoderLoad(zero, { ...second(zero, 30, 11), at: 10_000 }, FPS, 1), null, 'nor one across a gap (a recovery)');
  t.equal(encoderLoad(second(zero, 30, 11), { ...zero, at: 2000, produced: 60 }, FPS, 1), null, 'a new session (counters back to zero) says nothing');
});

t.test('verdict: over when frames are lost while the encoder is loaded', async (t) => {
  t.equal(cpuVerdict({ kept: 0.6, load: 0.55 }, 0, 0), 'over', 'frames lost while the encoder is half busy');
  t.equal(cpuVerdict({ kept: 0.5, load: 1.8 }, 0, 0), 'over', 'frames lost, the encoder busy all the time');
  t.equal(cpuVerdict({ kept: 1, load: 0.95 }, 0, 0), 'tight', 'slow (a busy machine) but every frame encoded: hold');
  t.equal(cpuVerdict({ kept: 0.4, load: 0.1 }, 1, 0), 'tight', 'frames dropped by a light encoder: no step down (not the CPU), and no step up (the level above would drop more)');
  t.equal(cpuVerdict({ kept: 1, load: 0.3 }, 0, 0), 'tight', 'at the top there is nothing to step up to');
  t.equal(cpuVerdict(null, 1, 0), null, 'no reading: no say');
  t.equal(cpuVerdict({ kept: 1, load: null }, 1, 0), null, 'no encode times: no say');
  t.equal(cpuVerdict({ kept: 1, load: 0.9 }, AUDIO_ONLY, 0), null, 'audio-only encodes nothing');
});

t.test('verdict: room to step up only if the level above would stay under 60% of its interval', async (t) => {
  const at540 = 1; // 720p30 costs 1.78x 540p30
  t.ok(Math.abs(costRatio(LADDER[0], LADDER[at540]) - 16 / 9) < 1e-9);
  t.equal(cpuVerdict({ kept: 1, load: 0.3 }, at540, 0), 'room', '0.3 x 1.78 = 0.53');
  t.equal(cpuVerdict({ kept: 1, load: 0.4 }, at540, 0), 'tight', '0.4 x 1.78 = 0.71');
  const at360p15 = 3; // 360p30 has twice the frames
  t.equal(costRatio(LADDER[2], LADDER[at360p15]), 2);
  t.equal(cpuVerdict({ kept: 1, load: 0.35 }, at360p15, 0), 'tight', '0.35 x 2 = 0.7');
});

/** Runs the ladder on a box whose encoder takes `msAt720` per 720p frame (scaled by pixels), `seconds` long. */
function run(s: AdaptState, msAt720: number, seconds: number): { s: AdaptState; levels: string[] } {
  let c = zero;
  const levels: string[] = [];
  for (let i = 0; i < seconds; i++) {
    const l = LADDER[s.level];
    const stride = l.video ? FPS / l.fps : 1;
    const ms = l.video ? msAt720 * (l.height / 720) ** 2 : 0;
    // The encoder takes frames as fast as it can: at most one per `ms`, at most the level's rate.
    const encoded = l.video ? Math.min(FPS / stride, Math.floor(1000 / ms)) : 0;
    const next = second(c, encoded, ms);
    const load = l.video ? encoderLoad(c, next, FPS, stride) : null;
    c = next;
    s = nextLevel(s, { ...clean, cpu: cpuVerdict(load, s.level, 0) }, 0);
    levels.push(LADDER[s.level].name);
  }
  return { s, levels };
}

t.test('a slow box steps down by itself to the level it holds, stays there, and climbs back when the CPU is back', async (t) => {
  // 80 ms per 720p frame: 720p30 needs 2.4 s of encoding a second, 540p30 1.35 s. 360p30 (20 ms a frame, load 0.6,
  // every frame encoded) is held.
  const slow = run(initialAdapt(0), 80, 30);
  t.same([...new Set(slow.levels)], ['720p30', '540p30', '360p30'], 'down one level per two seconds, no loss on the link');
  t.equal(slow.levels.indexOf('360p30'), 3, 'at 360p30 after 4 s');
  t.same(slow.levels.slice(4), Array(26).fill('360p30'), 'and held: no step up that would not hold (no oscillation)');
  // Slower still: 200 ms a 720p frame; 360p15 (50 ms a frame, load 0.75) is the level it holds.
  const slower = run(initialAdapt(0), 200, 30);
  t.equal(slower.s.level, 3, `a slower box holds 360p15 (${slower.levels.join(' ')})`);
  // Too slow for any video: audio-only, and audio is never what gives way.
  const hopeless = run(initialAdapt(0), 600, 10);
  t.equal(hopeless.s.level, AUDIO_ONLY, 'a box that cannot encode even 360p15 sends audio only');
  // The quota lifted: 10 ms a 720p frame. 8 s with room per step, back to the top.
  const back = run(slow.s, 10, 40);
  t.equal(back.s.level, 0, `climbs back to 720p30 (${[...new Set(back.levels)].join(' ')})`);
  t.equal(back.levels.indexOf('720p30'), 15, 'two steps of 8 s');
});

t.test('loss still steps down whatever the CPU says; the CPU only holds a climb back', async (t) => {
  let s = initialAdapt(0);
  for (let i = 0; i < 2; i++) s = nextLevel(s, { audioLoss: 0.1, videoLoss: 0.2, cpu: 'room' }, 0);
  t.equal(s.level, 1, 'loss with an idle CPU steps down');
  for (let i = 0; i < 20; i++) s = nextLevel(s, { ...clean, cpu: 'tight' }, 0);
  t.equal(s.level, 1, 'clean link, but no CPU room: stays');
  for (let i = 0; i < 8; i++) s = nextLevel(s, { ...clean, cpu: 'room' }, 0);
  t.equal(s.level, 0, 'room: climbs after 8 s');
});

t.test('a try up that the CPU cannot hold makes the next try wait twice as long; one that holds resets it', async (t) => {
  // Too slow for any video: from audio-only the ladder can only try 360p15, which the CPU refuses within 2 s.
  let s: AdaptState = { level: AUDIO_ONLY, bad: 0, good: 0 };
  const tries: number[] = [];
  for (let i = 0; i < 400; i++) {
    const cpu = LADDER[s.level].video ? ('over' as const) : null;
    const before = s.level;
    s = nextLevel(s, { ...clean, cpu }, 0);
    if (s.level < before) tries.push(i);
  }
  const gaps = tries.slice(1).map((x, i) => x - tries[i]);
  t.same(gaps.slice(0, 4), [34, 66, 130, 130], `tries at ${tries.join(', ')}: 16, 32, 64, 128 s apart plus the 2 s each lasts`);
  // Now the CPU holds what it tries: the wait comes back to 8 s after a step up held for 30 s.
  for (let i = 0; i < 200 && s.level === AUDIO_ONLY; i++) s = nextLevel(s, { ...clean, cpu: null }, 0);
  t.equal(s.level, 3, 'up to 360p15');
  let n = 0;
  while (s.level === 3 && n < 300) (s = nextLevel(s, { ...clean, cpu: 'room' }, 0)), n++;
  t.equal(n, 30, 'the next step up waits until the last one has held for 30 s (its wait reset: 8 s would be shorter)');
  n = 0;
  while (s.level === 2 && n < 300) (s = nextLevel(s, { ...clean, cpu: 'room' }, 0)), n++;
  t.equal(n, 8, 'then 8 s again');
});

t.test("audio first: Opus packets short of their pace while video runs step video down, and hold a climb", async (t) => {
  const a = { ...zero, audioPackets: 0 };
  const starved = encoderLoad(a, { ...second(a, 30, 5), audioPackets: 20 }, FPS, 1)!;
  t.equal(starved.audioPace, 0.4, '20 packets in a second is 40% of the pace');
  t.equal(cpuVerdict(starved, 1, 0), 'starved', 'under half the pace: starved, though every frame was encoded');
  t.equal(cpuVerdict({ ...starved, load: null }, 1, 0), 'starved', 'with no encode times too');
  t.equal(cpuVerdict(starved, AUDIO_ONLY, 0), null, 'audio-only: nothing left to give way');
  const swamped = encoderLoad(a, { ...second(a, 12, 60), audioPackets: 20 }, FPS, 1)!;
  t.same([swamped.kept, swamped.load], [0.4, 1.8], '12 of 30 frames kept, 60 ms each at 30 fps');
  t.equal(cpuVerdict(swamped, 1, 0), 'swamped', 'starved while the encoder loses frames at full load: the CPU is short');
  const stalled = encoderLoad(a, { ...second(a, 30, 60), audioPackets: 20 }, FPS, 1)!;
  t.equal(cpuVerdict(stalled, 1, 0), 'starved', 'starved with every frame kept (a stalled process): only starved');
  t.equal(cpuVerdict({ ...swamped, load: 0.9 }, 1, 0), 'starved', 'frames lost at a load under full: only starved');
  t.equal(cpuVerdict({ ...swamped, audioPace: 0.65 }, 1, 0), 'swamped', 'audio short (65% of its pace), frames lost at full load: swamped');
  t.equal(cpuVerdict({ ...swamped, audioPace: 0.85 }, 1, 0), 'over', 'audio at 85% of its pace: frames lost at full load are only over');
  const low = encoderLoad(a, { ...second(a, 30, 5), audioPackets: 35 }, FPS, 1)!;
  t.equal(cpuVerdict(low, 1, 0), 'over', '70% of the pace: video gives way a level');
  const short = encoderLoad(a, { ...second(a, 30, 5), audioPackets: 43 }, FPS, 1)!;
  t.equal(cpuVerdict(short, 1, 0), 'tight', '86% of the pace: no step down, but no step up either');
  const full = encoderLoad(a, { ...second(a, 30, 5), audioPackets: 50 }, FPS, 1)!;
  t.equal(cpuVerdict(full, 1, 0), 'room', 'at pace, with a light encoder: room');
});

t.test('audio starved: video steps down two levels at a time, after the same two bad seconds', async (t) => {
  let s: AdaptState = initialAdapt(0);
  const levels: string[] = [];
  for (let i = 0; i < 4; i++) {
    const cpu = LADDER[s.level].video ? ('starved' as const) : null;
    s = nextLevel(s, { ...clean, cpu }, 0);
    levels.push(LADDER[s.level].name);
  }
  t.same(levels, ['720p30', '360p30', '360p30', 'audio-only'], 'from 720p30 to audio-only in two steps of two seconds each');
  s = { level: 3, bad: 0, good: 0 };
  s = nextLevel(nextLevel(s, { ...clean, cpu: 'starved' }, 0), { ...clean, cpu: 'starved' }, 0);
  t.equal(s.level, AUDIO_ONLY, 'from 360p15: one level left, never below audio-only');
  s = initialAdapt(0);
  s = nextLevel(nextLevel(s, { ...clean, cpu: 'over' }, 0), { ...clean, cpu: 'over' }, 0);
  t.equal(LADDER[s.level].name, '540p30', 'frames lost with audio at pace: one level, as before');
});

t.test('audio swamped: two levels down on the first reading; starved alone waits for its second', async (t) => {
  let s = nextLevel(initialAdapt(0), { ...clean, cpu: 'swamped' }, 0);
  t.equal(LADDER[s.level].name, '360p30', 'swamped: 720p30 to 360p30 at once');
  s = nextLevel(s, { ...clean, cpu: 'swamped' }, 0);
  t.equal(s.level, AUDIO_ONLY, 'and to audio-only on the next');
  s = nextLevel(initialAdapt(0), { ...clean, cpu: 'starved' }, 0);
  t.equal(LADDER[s.level].name, '720p30', 'one starved second (a stall) moves nothing');
  s = nextLevel(s, { ...clean, cpu: 'tight' }, 0);
  s = nextLevel(s, { ...clean, cpu: 'starved' }, 0);
  t.equal(LADDER[s.level].name, '720p30', 'nor two apart');
  s = nextLevel({ level: 1, bad: 0, good: 0, sinceUp: 3 }, { ...clean, cpu: 'swamped' }, 0);
  t.same([LADDER[s.level].name, s.upWait], ['360p15', 2], 'a try up swamped at once falls back and doubles the wait');
});
