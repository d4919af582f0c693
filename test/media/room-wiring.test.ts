// The box's room path as the worker wires it (worker-room.ts), run for real with the room audio process's pipe
// variants: mic PCM in -> webrtcdsp -> the worker's MediaFeed.onAudio (wrtc RTCAudioSource); programme audio
// handed to the sink -> the loudspeaker branch; programme video -> the display process; a killed room audio
// process restarted; stop() ends every process it started.
import t from 'tap';
import { RoomPath, roomPathFor } from '../../agent/media/worker/room.js';
import { MediaFeed } from '../../agent/media/worker/feed.js';
import { CHUNK_BYTES } from '../../agent/media/room-audio/pcm.js';
import { captureInputArgs } from '../../agent/media/frames/capture.js';
import { MediaConfig } from '../../core/config/media.js';
import type { AudioIoExit } from '../../agent/media/room-audio/audio-io.js';
import { withDefaults } from '../../core/schema/value.js';
import { paced } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';

t.teardown(() => process.exit(0));


/** 0.4 s of a voiced-like signal (200 Hz buzz with harmonics, syllable envelope): speech to the canceller. */
function voice(chunks: number): Buffer {
  const b = Buffer.alloc(chunks * CHUNK_BYTES);
  for (let i = 0; i < b.length / 2; i++) {
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 4 * i) / 48000);
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin((2 * Math.PI * 200 * h * i) / 48000) / h;
    b.writeInt16LE(Math.round(4000 * env * v), i * 2);
  }
  return b;
}

const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && process.kill(pid, 0);
  } catch {
    return false;
  }
};

t.test('config: simulate keeps the ffmpeg tone and checking sink; a box gets ALSA room audio and KMS', async (t) => {
  const sim = withDefaults(MediaConfig, { simulate: true }) as MediaConfig;
  t.equal(roomPathFor(sim, () => {}, () => {}), null, 'simulate: no room path');
  const box = withDefaults(MediaConfig, { roomAudio: { captureDevice: 'hw:2,0', playbackDevice: 'hw:1,0' } }) as MediaConfig;
  const room = roomPathFor(box, () => {}, () => {})!;
  t.same(room.opts.audio.capture, { kind: 'alsa', device: 'hw:2,0' });
  t.same(room.opts.audio.playback, { kind: 'alsa', device: 'hw:1,0' });
  t.same(room.opts.display, { kind: 'kms' });
  t.equal(room.opts.audio.dsp?.echoCancel, true, 'echo cancellation on by default');
  const cam = { width: 640, height: 360, fps: 30, simulate: false, videoDevice: '/dev/video0', videoFormat: 'yuyv422', audioDevice: 'hw:2,0' };
  t.match(captureInputArgs(cam).join(' '), '-f alsa', 'without the room path ffmpeg reads the mic');
  t.notMatch(captureInputArgs({ ...cam, videoOnly: true }).join(' '), 'alsa', 'with it ffmpeg leaves the mic alone');
});

t.test('real processes: mic reaches the feed cleaned, programme reaches loudspeaker and display, restart, stop', async (t) => {
  const feed = new MediaFeed(false);
  t.teardown(() => feed.stop());
  const logged: string[] = [];
  const room = new RoomPath({
    audio: { playback: { kind: 'pipe' }, capture: { kind: 'pipe' }, dsp: { echoCancel: true, noiseSuppression: true, gainControl: true } },
    display: { kind: 'pipe' },
    onMic: feed.onAudio,
    restartMs: 300,
    log: { debug() {}, info() {}, warn() {}, error: (m) => void logged.push(m), child() { return this; } },
  });
  t.teardown(() => room.stop());
  await room.start();
  const first = room.io!;
  t.ok(alive(first.pid), 'room audio process running after start()');

  // Mic: 40 chunks of speech in, 40 chunks of 960 bytes into the worker's feed, not silenced.
  feed.takeLevelDbfs();
  await paced(first.micIn!, voice(40));
  await waitFor('40 mic chunks in the feed', () => feed.audioChunks, { until: (n) => n >= 40 });
  t.equal(feed.audioChunks, 40, 'every mic chunk reached MediaFeed.onAudio');
  const db = feed.takeLevelDbfs();
  t.ok(db > -40, `the hall talker is heard in the feed (${db.toFixed(1)} dBFS)`);

  // Programme audio as wrtc's RTCAudioSink hands it: 10 ms at 48 kHz, here stereo with both channels alike.
  const played: Buffer[] = [];
  first.playedOut!.on('data', (d: Buffer) => played.push(d));
  const prog = Buffer.alloc(30 * CHUNK_BYTES);
  for (let i = 0; i < prog.length / 2; i++) prog.writeInt16LE(((i * 7) % 30000) - 15000, i * 2);
  for (let c = 0; c < 30; c++) {
    const mono = new Int16Array(prog.buffer.slice(prog.byteOffset + c * CHUNK_BYTES, prog.byteOffset + (c + 1) * CHUNK_BYTES));
    const stereo = new Int16Array(mono.length * 2);
    for (let i = 0; i < mono.length; i++) stereo[2 * i] = stereo[2 * i + 1] = mono[i];
    room.audio({ samples: stereo, sampleRate: 48000, channelCount: 2 });
    await new Promise((r) => setTimeout(r, 10));
  }
  await waitFor('the programme played out', () => Buffer.concat(played).length, { until: (n) => n >= prog.length });
  t.ok(Buffer.concat(played).subarray(0, prog.length).equals(prog), 'the loudspeaker branch played the programme sample for sample');

  // Programme video: an I420 frame through the display process.
  const W = 64, H = 48;
  const frame = new Uint8Array((W * H * 3) / 2).map((_, i) => i % 251);
  const shown: Buffer[] = [];
  room.display.shownOut!.on('data', (d: Buffer) => shown.push(d));
  room.video({ width: W, height: H, data: frame });
  await waitFor('the frame shown', () => Buffer.concat(shown).length, { until: (n) => n >= frame.length });
  t.ok(Buffer.concat(shown).subarray(0, frame.length).equals(Buffer.from(frame)), 'the frame reached the display process unchanged');
  t.match(room.report(), { framesShown: 1, audioChunks: 30, roomAudio: 'running' });

  // The room audio process dies: logged with its cause, restarted, and the mic flows again.
  const exit = new Promise<AudioIoExit>((r) => room.once('audio-exit', r));
  const restarted = new Promise<void>((r) => room.once('audio-started', () => r()));
  process.kill(first.pid!, 'SIGKILL');
  t.match(await exit, { expected: false, signal: 'SIGKILL' }, 'unexpected exit seen');
  t.match(logged.join('\n'), /room audio ended \(.*SIGKILL.*\); restarting it in 300 ms/, 'logged with its reason');
  await restarted;
  const second = room.io!;
  t.not(second.pid, first.pid, 'a new room audio process');
  t.equal(room.audioRestarts, 1);
  await paced(second.micIn!, voice(20));
  await waitFor('20 more mic chunks in the feed', () => feed.audioChunks, { until: (n) => n >= 60 });
  t.equal(feed.audioChunks, 60, 'the mic reaches the feed again after the restart');

  await room.stop();
  await waitFor('the room audio process gone', () => alive(second.pid), { until: (a) => !a });
  t.notOk(alive(second.pid), 'stop() ended the room audio process');
  t.equal(room.io, null);
  t.match(room.report(), { roomAudio: 'down' });
});
