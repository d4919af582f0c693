// Echo cancellation on the synthetic room, through the real gst-launch-1.0 pipeline in real time: the programme
// (espeak-ng speech) is played by the pipeline, heard by the room's mic through a room impulse response with
// noise, and cancelled by webrtcdsp. Every number below is computed from the samples the pipeline wrote.
import t from 'tap';
import { measureErle } from '../../lab/media/audio-erle.js';
import { raiseRealTimePriority } from '../../lab/media/priority.js';

raiseRealTimePriority();

// The bounds, stated once: issue 5's floor, and how much of the hall's own talker may be lost under double-talk
// (the canceller's non-linear suppressor ducks the mic while the programme plays: 3-11 dB over six runs at
// echo-suppression-level=moderate; 15 dB still leaves the talker audible), and what remains must be the talker,
// well above the echo left over from the programme alone. The echo's lag behind its reference must be at least
// what the canceller is told (echoDelayMs, default 30) and at most 30 ms more: the range where it converged.
const ERLE_FLOOR_DB = 20;
const NEAR_DROP_MAX_DB = 15;
const NEAR_ABOVE_RESIDUAL_DB = 10;

// Two runs at a time, each its own pipeline and synthetic room: the long first run beside the three short ones one
// after the other, so the file takes as long as the first run. The audio is light work, this process and its
// pipelines run at raised priority (priority.ts), and every number is computed from samples, each mic block made
// from the block its own loudspeaker played. Their verdicts held with margin beside stress-ng.
t.jobs = 2;

t.test('ERLE >= 20 dB with AEC + NS + AGC, and the hall talker survives double-talk', async (t) => {
  const r = await measureErle();
  t.comment(JSON.stringify(r));
  t.equal(r.chunks_out, r.chunks_in, 'one output chunk per mic chunk: nothing lost in the pipeline');
  t.ok(r.erle_db >= ERLE_FLOOR_DB, `ERLE ${r.erle_db.toFixed(1)} dB >= ${ERLE_FLOOR_DB}`);
  t.ok(r.echo_dbfs > -30, `the echo is loud at the mic (${r.echo_dbfs.toFixed(1)} dBFS): a real test`);
  t.ok(r.near_drop_db! <= NEAR_DROP_MAX_DB, `talker drop under double-talk ${r.near_drop_db!.toFixed(1)} dB <= ${NEAR_DROP_MAX_DB}`);
  t.ok(
    r.near_double_dbfs! - r.residual_dbfs >= NEAR_ABOVE_RESIDUAL_DB,
    `double-talk output ${r.near_double_dbfs!.toFixed(1)} dBFS is >= ${NEAR_ABOVE_RESIDUAL_DB} dB above the echo residual ${r.residual_dbfs.toFixed(1)} dBFS`,
  );
  const over = r.reference_lead_ms - 30;
  t.ok(over >= 0 && over <= 30, `echo lags its reference by ${r.reference_lead_ms.toFixed(1)} ms (told 30)`);
});

t.test('control: the same room with echo-cancel=false leaves the echo in (the measurement can fail)', async (t) => {
  const r = await measureErle({ farS: 6, talkS: 0, dsp: { echoCancel: false, gainControl: false } });
  t.comment(JSON.stringify(r));
  t.ok(r.erle_db < 6, `ERLE without the canceller ${r.erle_db.toFixed(1)} dB < 6`);
});

t.test('a farther loudspeaker (60 ms acoustic delay, longer reverb), with the hall set for it: >= 20 dB', async (t) => {
  // echoDelayMs is the hall's setting; 60 here (the harness adds its 10 ms leading block on top, within tolerance).
  const r = await measureErle({ farS: 8, talkS: 0, room: { delayMs: 60, rt60Ms: 400, seed: 3 }, dsp: { echoDelayMs: 60 } });
  t.comment(JSON.stringify(r));
  t.ok(r.erle_db >= ERLE_FLOOR_DB, `ERLE ${r.erle_db.toFixed(1)} dB >= ${ERLE_FLOOR_DB}`);
});

t.test('the pipeline dying mid-run fails the measurement at once, naming it', async (t) => {
  // The run is paced in real time from PLAYING: a failure reported only at its end comes FAR_S after that. Killed
  // 1 s in, a report at once comes seconds before it, however slow the machine.
  const FAR_S = 12;
  let playingAt = 0;
  await t.rejects(
    measureErle({
      farS: FAR_S,
      talkS: 0,
      onPlaying: (io) => {
        playingAt = performance.now();
        setTimeout(() => process.kill(io.pid!, 'SIGKILL'), 1000);
      },
    }),
    /audio io exited during the ERLE run/,
  );
  const after = performance.now() - playingAt;
  t.ok(playingAt > 0 && after < FAR_S * 1000, `reported ${Math.round(after)} ms after PLAYING, not at the end of the ${FAR_S} s run`);
});
