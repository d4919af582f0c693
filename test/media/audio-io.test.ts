// The room audio process, run for real (gst-launch-1.0 with webrtcechoprobe and webrtcdsp): the pipeline it
// builds, the PCM format on its pipes, the programme played sample for sample, and a dying or failing process
// reported rather than hung.
import t from 'tap';
import { startAudioIo, type AudioIo, type AudioIoExit } from '../../agent/media/room-audio/audio-io.js';
import { CHUNK_BYTES } from '../../agent/media/room-audio/pcm.js';
import { audioPipelineArgs, FD, PROBE_NAME } from '../../agent/media/room-audio/pipeline.js';
import { RoomAudioConfig } from '../../core/config/room-audio.js';
import { audioIoOptions } from '../../agent/media/room-audio/options.js';
import { errors, withDefaults } from '../../core/schema/value.js';
import { paced } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';


function exitOf(io: AudioIo): Promise<AudioIoExit> {
  return new Promise((resolve) => io.once('exit', resolve));
}

t.test('pipeline: probe and canceller in one process, named alike, on the documented fds', async (t) => {
  const box = audioPipelineArgs({ kind: 'alsa', device: 'hw:1' }, { kind: 'alsa', device: 'hw:2' }).join(' ');
  t.match(box, `webrtcechoprobe name=${PROBE_NAME}`);
  t.match(box, `webrtcdsp probe=${PROBE_NAME} echo-cancel=true noise-suppression=true gain-control=true`);
  t.match(box, 'delay-agnostic=false');
  t.match(box, /alsasink device=hw:1 .* render-delay=30000000/);
  t.match(box, /alsasink device=hw:1 .*sync=true/);
  t.match(box, /alsasrc device=hw:2 /);
  t.match(box, `fdsrc fd=${FD.programmeIn} do-timestamp=true`);
  t.match(box, `fdsink fd=${FD.micOut}`);
  const test = audioPipelineArgs({ kind: 'pipe' }, { kind: 'pipe' }, { echoCancel: false }).join(' ');
  t.match(test, `fdsink fd=${FD.playedOut} sync=true`);
  t.match(test, `fdsrc fd=${FD.micIn} do-timestamp=true`);
  t.match(test, 'echo-cancel=false');
});

t.test('config: defaults give the box pipeline; a bad setting is named by its path', async (t) => {
  const cfg = withDefaults(RoomAudioConfig, { playbackDevice: 'hdmi:CARD=vc4hdmi0' }) as RoomAudioConfig;
  const box = audioIoOptions(cfg, false);
  t.same(box.playback, { kind: 'alsa', device: 'hdmi:CARD=vc4hdmi0' });
  t.same(box.capture, { kind: 'alsa', device: 'default' });
  t.match(audioPipelineArgs(box.playback, box.capture, box.dsp).join(' '), 'render-delay=30000000');
  t.same(audioIoOptions(cfg, true).capture, { kind: 'pipe' });
  t.match(errors(RoomAudioConfig, { echoDelayMs: -5, echoSuppressionLevel: 'max' }).join('; '), /echoDelayMs.*echoSuppressionLevel|echoSuppressionLevel.*echoDelayMs/);
});

t.test('real process: programme played sample for sample, mic out in 10 ms chunks', async (t) => {
  const io = startAudioIo({ playback: { kind: 'pipe' }, capture: { kind: 'pipe' } });
  t.teardown(() => io.stop());
  await io.ready();
  t.ok(io.pid, 'a gst-launch-1.0 process');
  const played: Buffer[] = [];
  const playedAt: number[] = [];
  io.playedOut!.on('data', (d: Buffer) => {
    played.push(d);
    playedAt.push(performance.now());
  });
  const micChunks: number[] = [];
  io.micOut.on('data', (c: Buffer) => micChunks.push(c.length));
  // 0.6 s of a counting pattern (every sample distinct modulo 2^15) as programme, 0.6 s of a chirp as mic.
  const prog = Buffer.alloc(60 * CHUNK_BYTES);
  for (let i = 0; i < prog.length / 2; i++) prog.writeInt16LE((i * 7) % 30000 - 15000, i * 2);
  const mic = Buffer.alloc(60 * CHUNK_BYTES);
  for (let i = 0; i < mic.length / 2; i++) mic.writeInt16LE(Math.round(8000 * Math.sin(i * i * 1e-6)), i * 2);
  const t0 = performance.now();
  await Promise.all([paced(io.programmeIn, prog), paced(io.micIn!, mic)]);
  const writtenMs = performance.now() - t0;
  await waitFor('the programme played and 60 mic chunks', () => [Buffer.concat(played).length, micChunks.length], {
    until: ([p, m]) => p >= prog.length && m >= 60,
  });
  const out = Buffer.concat(played);
  t.ok(out.length >= prog.length, `played ${out.length} of ${prog.length} bytes`);
  t.ok(out.subarray(0, prog.length).equals(prog), 'the loudspeaker branch plays the programme unchanged');
  // The sink plays on the pipeline clock: what was written over 0.6 s comes out over about as long, not in a burst
  // of a few ms. Both spans are measured here; half is slack for this process reading late on a busy machine.
  const playedMs = playedAt[playedAt.length - 1] - playedAt[0];
  t.ok(playedMs >= writtenMs / 2, `played at clock pace: over ${Math.round(playedMs)} ms, written over ${Math.round(writtenMs)} ms`);
  t.equal(micChunks.length, 60, '60 mic chunks for 60 written');
  t.ok(micChunks.every((n) => n === CHUNK_BYTES), 'every mic chunk is 960 bytes');
  const exit = exitOf(io);
  await io.stop();
  const e = await exit;
  t.equal(e.expected, true, 'stop() is an expected exit');
});

t.test('the hall is heard with no programme at all (before a join, or when the centre is silent)', async (t) => {
  const io = startAudioIo({ playback: { kind: 'fake' }, capture: { kind: 'pipe' } });
  t.teardown(() => io.stop());
  await io.ready();
  let chunks = 0;
  let peak = 0;
  io.micOut.on('data', (c: Buffer) => {
    chunks++;
    for (let i = 0; i < c.length; i += 2) peak = Math.max(peak, Math.abs(c.readInt16LE(i)));
  });
  // 0.4 s of a voiced-like signal (200 Hz buzz with harmonics, syllable envelope) into the mic only.
  const mic = Buffer.alloc(40 * CHUNK_BYTES);
  for (let i = 0; i < mic.length / 2; i++) {
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 4 * i) / 48000);
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin((2 * Math.PI * 200 * h * i) / 48000) / h;
    mic.writeInt16LE(Math.round(4000 * env * v), i * 2);
  }
  await paced(io.micIn!, mic);
  await waitFor('40 mic chunks out', () => chunks, { until: (n) => n >= 40 });
  t.equal(chunks, 40, 'every mic chunk comes out although no programme ever arrived');
  t.ok(peak > 1000, `and it is not silenced (peak ${peak})`);
});

t.test('the box pipeline (alsasrc, alsasink) runs on ALSA\'s null device: no sound card here, same elements', async (t) => {
  const io = startAudioIo({ playback: { kind: 'alsa', device: 'null' }, capture: { kind: 'alsa', device: 'null' } });
  t.teardown(() => io.stop());
  await io.ready();
  let chunks = 0;
  let odd = 0;
  io.micOut.on('data', (c: Buffer) => {
    chunks++;
    if (c.length !== CHUNK_BYTES) odd++;
  });
  await paced(io.programmeIn, Buffer.alloc(30 * CHUNK_BYTES));
  // The null PCM is not clocked like a card, so only that the mic flows is checked, not its rate.
  t.ok(chunks >= 10, `${chunks} mic chunks through alsasrc -> webrtcdsp`);
  t.equal(odd, 0, 'all 960 bytes');
  const exit = exitOf(io);
  await io.stop();
  t.same((({ expected, reason }) => ({ expected, reason }))(await exit), { expected: true, reason: undefined }, 'clean stop');
});

t.test('a killed process is reported as an unexpected exit and its streams end', async (t) => {
  const io = startAudioIo({ playback: { kind: 'fake' }, capture: { kind: 'pipe' } });
  t.teardown(() => io.stop());
  await io.ready();
  const exit = exitOf(io);
  const ended = new Promise<void>((resolve) => io.micOut.on('end', resolve).resume());
  process.kill(io.pid!, 'SIGKILL');
  const e = await exit;
  t.equal(e.expected, false);
  t.equal(e.signal, 'SIGKILL');
  await ended;
  t.pass('micOut ended');
  // Writes after death are swallowed (the exit event is the report), not thrown.
  io.programmeIn.write(Buffer.alloc(CHUNK_BYTES));
  await io.stop();
});

t.test('a pipeline that cannot start rejects ready() naming the cause', async (t) => {
  const noCard = startAudioIo({ playback: { kind: 'fake' }, capture: { kind: 'alsa', device: 'hw:97' } });
  t.teardown(() => noCard.stop());
  const exit = exitOf(noCard);
  await t.rejects(noCard.ready(), /audio io: gst-launch-1.0 exited before PLAYING: .*(alsa|hw:97|device|resource)/i);
  t.equal((await exit).expected, false);
  const noBinary = startAudioIo({ playback: { kind: 'fake' }, capture: { kind: 'pipe' }, gstLaunch: '/nonexistent/gst' });
  await t.rejects(noBinary.ready(), /cannot start \/nonexistent\/gst/);
});
