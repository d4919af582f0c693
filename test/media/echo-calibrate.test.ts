// Echo delay calibration: the choice among trials (pure), a mic that hears no loudspeaker refused with a reason, and
// the whole calibration on the real room audio process (gst-launch, webrtcdsp) with the synthetic room closing the
// loop, for a near and a far loudspeaker: the chosen delay is within the band where the canceller converges
// (between the echo's lag and 30 ms less) and removes at least 20 dB of echo.
import t from 'tap';
import { calibrateEchoDelay, chooseEchoDelay, glitches, roomProbe } from '../../agent/media/room-audio/echo-calibrate.js';
import { CHUNK_MS, CHUNK_SAMPLES, floatToS16, Rechunker, s16ToFloat } from '../../agent/media/room-audio/pcm.js';
import { makeRoomImpulse, SyntheticRoom } from '../../lab/media/audio-room.js';
import type { AudioIo } from '../../agent/media/room-audio/audio-io.js';
import { raiseRealTimePriority } from '../../lab/media/priority.js';

raiseRealTimePriority();

t.test('chooseEchoDelay: the middle of the run within 1.5 dB of the lowest residual', async (t) => {
  const trials = (xs: Array<[number, number]>) => xs.map(([delayMs, residualDbfs]) => ({ delayMs, residualDbfs }));
  t.equal(chooseEchoDelay(trials([[0, -15], [20, -22], [40, -53], [60, -53.2], [80, -53], [100, -19]])), 60, 'the middle of 40..80');
  t.equal(chooseEchoDelay(trials([[0, -30], [20, -45], [40, -52], [60, -53], [80, -20]])), 40, 'a run of two: the shorter');
  t.equal(chooseEchoDelay(trials([[0, -30], [20, -45], [40, -49], [60, -53], [80, -20]])), 60, 'a clear best wins');
  t.equal(chooseEchoDelay(trials([[80, -20], [0, -53], [40, -30], [20, -53]])), 0, 'trials in any order');
  t.equal(chooseEchoDelay(trials([[0, -53], [20, -30], [40, -53]])), 0, 'only the run that holds the best counts');
  t.equal(chooseEchoDelay(trials([[60, -40]])), 60);
  t.throws(() => chooseEchoDelay([]), /no trials/);
});

t.test('a trial far worse than both its neighbours (a glitch) is tried once more', async (t) => {
  const trials = (xs: Array<[number, number]>) => xs.map(([delayMs, residualDbfs]) => ({ delayMs, residualDbfs }));
  t.same(glitches(trials([[40, -53], [50, -53], [60, -53], [70, -21], [80, -58], [100, -19]])), [3], 'the 70 ms trial of run 55');
  t.same(glitches(trials([[40, -53], [50, -53], [60, -53], [70, -50], [80, -20], [100, -19]])), [], 'the edge of the band is no glitch');
  // The room: converges from 40 to 80 ms; the first 70 ms trial, in the middle of that band, is hit by a glitch.
  const tried: number[] = [];
  const probe = async (d: { echoCancel?: boolean; echoDelayMs?: number }): Promise<number> => {
    if (!d.echoCancel) return -14;
    tried.push(d.echoDelayMs ?? 0);
    if (d.echoDelayMs === 70 && tried.filter((x) => x === 70).length === 1) return -21;
    return (d.echoDelayMs ?? 0) >= 40 && (d.echoDelayMs ?? 0) <= 80 ? -53 : -20;
  };
  const c = await calibrateEchoDelay(probe, [0, 10, 20, 30, 40, 50, 60, 70, 80, 100]);
  t.equal(tried.filter((x) => x === 70).length, 2, 'the 70 ms trial ran twice');
  t.equal(tried.length, 11, 'and no other trial again');
  t.equal(c.echoDelayMs, 60, 'the middle of 40..80, as without the glitch (with it: 40..60, and 50)');
});

t.test('a mic that does not hear the loudspeaker: refused, with the reason', async (t) => {
  let trials = 0;
  const probe = async () => {
    trials++;
    return -80;
  };
  await t.rejects(calibrateEchoDelay(probe), { code: 'device_refused', deviceCode: 'no_echo', message: /hears the loudspeaker at -80\.0 dBFS.*loudspeaker on/ });
  t.equal(trials, 1, 'no delay trials after the echo check failed');
});

/** The synthetic room between the pipeline's loudspeaker (playedOut) and its mic (micIn), as audio-erle.ts does it. */
function closeLoop(delayMs: number) {
  return (io: AudioIo) => {
    const room = new SyntheticRoom({ impulse: makeRoomImpulse({ delayMs }), noiseDbfs: -60 });
    const played = new Rechunker();
    let held: Buffer | null = null;
    // Both streams' first buffers go out together (audiorate anchors each timeline to its first buffer).
    io.micIn!.write(Buffer.alloc(CHUNK_SAMPLES * 2));
    io.playedOut!.on('data', (d: Buffer) =>
      played.push(d, (c) => {
        // A real ADC hands a block over after capturing it: each mic block goes in one block later.
        if (held) io.micIn!.write(held);
        held = floatToS16(room.hear(s16ToFloat(c)).mic);
      }),
    );
  };
}

t.test('a mic that falls silent on the real pipeline: given up once no block came for 3 s, with the count', async (t) => {
  // The room feeds the mic for the first 30 blocks only (a capture device that stopped), of a 1 s probe.
  let fed = 0;
  const attach = (io: AudioIo) => {
    io.micIn!.write(Buffer.alloc(CHUNK_SAMPLES * 2));
    const played = new Rechunker();
    io.playedOut!.on('data', (d: Buffer) => played.push(d, (c) => fed++ < 30 && io.micIn!.write(c)));
  };
  const probe = roomProbe({ audio: { playback: { kind: 'pipe' }, capture: { kind: 'pipe' } }, seconds: 1, measureS: 0.5, attach });
  const start = performance.now();
  await t.rejects(probe({}), { code: 'device_timeout', message: /^echo calibration: (\d+) of 100 mic blocks, none for 3 s$/ });
  const took = performance.now() - start;
  t.ok(took >= 4000, `not before the 1 s probe and 3 s without a block (${Math.round(took)} ms)`);
});

// The two rooms are calibrated at once, each its own process and synthetic room: the audio is light work, this
// process and its pipelines run at raised priority (priority.ts), and each mic block is made from the block its own
// loudspeaker played. Their verdicts held with margin beside stress-ng.
t.jobs = 2;
for (const roomMs of [20, 60]) {
  t.test(`calibration on the real pipeline, loudspeaker ${roomMs} ms from the mic`, async (t) => {
    const probe = roomProbe({ audio: { playback: { kind: 'pipe' }, capture: { kind: 'pipe' } }, attach: closeLoop(roomMs) });
    // 10 ms apart around the lag, as the box's candidates are, and one too long.
    const candidates = roomMs === 20 ? [0, 10, 20, 30, 40, 60, 100] : [0, 20, 40, 50, 60, 70, 80, 100];
    const c = await calibrateEchoDelay(probe, candidates);
    // The echo lags its reference by the room's delay plus the one-block hold of the mic.
    const lag = roomMs + CHUNK_MS;
    t.comment(c.trials.map((x) => `${x.delayMs} ms: ${x.residualDbfs.toFixed(1)} dBFS`).join(', ') + `; echo ${c.echoDbfs.toFixed(1)} dBFS`);
    t.ok(c.echoDelayMs <= lag && c.echoDelayMs >= lag - 30, `chose ${c.echoDelayMs} ms for a ${lag} ms lag`);
    t.ok(c.erleDb >= 20, `removes ${c.erleDb.toFixed(1)} dB of echo`);
    const longest = c.trials[c.trials.length - 1];
    t.ok(longest.residualDbfs > c.echoDbfs - c.erleDb + 6, `told too long (${longest.delayMs} ms) leaves at least 6 dB more: the trials can tell`);
  });
}
