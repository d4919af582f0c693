// The programme player on real decoded video: frames stamped with frame-stamp.ts, encoded to VP8 by ffmpeg
// (libvpx, realtime), decoded by GStreamer's vp8dec, then checked by the test sink and passed through the box
// player's real gst-launch process (its display swapped for a pipe, as kmssink needs a DRM device).
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeStamp } from '../../agent/media/frames/frame-stamp.js';
import { CheckingPlayer } from '../../lab/media/player-check.js';
import { GstPlayer, playerPipelineArgs } from '../../agent/media/programme/player-gst.js';
import { i420Size, type VideoFrame } from '../../agent/media/programme/player.js';
import { Rechunker } from '../../agent/media/room-audio/pcm.js';
import { PlayerSink } from '../../agent/media/programme/player-sink.js';
import { waitFor } from '../../lab/wait.js';

const W = 640;
const H = 360;
const N = 45;

function run(cmd: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} ${code}: ${err}`))));
    p.stdin.end(input);
  });
}

/** A moving gradient (so the encoder has real work) with the stamp along the top. */
function stampedFrames(): Buffer {
  const size = i420Size(W, H);
  const all = Buffer.alloc(size * N);
  const t0 = Date.now();
  for (let k = 0; k < N; k++) {
    const f = all.subarray(k * size, (k + 1) * size);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f[y * W + x] = (x + y + 4 * k) & 0xff;
    f.fill(128, W * H);
    writeStamp(f, W, H, 1000 + k, t0 + k * 33);
  }
  return all;
}

function split(raw: Buffer, w: number, h: number): VideoFrame[] {
  const size = i420Size(w, h);
  const out: VideoFrame[] = [];
  for (let off = 0; off + size <= raw.length; off += size) out.push({ data: raw.subarray(off, off + size), width: w, height: h });
  return out;
}

let decoded: VideoFrame[] = [];

t.before(async () => {
  const ivf = await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-r', '30',
    '-i', 'pipe:0', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-f', 'ivf', 'pipe:1',
  ], stampedFrames());
  const raw = await run('gst-launch-1.0', ['-q', 'fdsrc', 'fd=0', '!', 'ivfparse', '!', 'vp8dec', '!',
    'video/x-raw,format=I420', '!', 'fdsink', 'fd=1'], ivf);
  decoded = split(raw, W, H);
});

t.test('test sink: every decoded VP8 frame read back in order, none lost', async (t) => {
  t.equal(decoded.length, N, `${N} frames decoded`);
  const p = new CheckingPlayer();
  for (const f of decoded) p.pushVideo(f);
  const s = p.stats();
  t.equal(s.framesShown, N);
  t.equal(s.check.unreadable, 0, 'every stamp survives VP8 at 600 kbit/s');
  t.equal(s.check.firstCounter, 1000);
  t.equal(s.check.lastCounter, 1000 + N - 1);
  t.same([s.check.missing, s.check.outOfOrder, s.check.repeats], [0, 0, 0]);
});

t.test('test sink: a lost, a swapped and a repeated frame are each caught', async (t) => {
  const frames = decoded.slice();
  frames.splice(10, 1); // lose counter 1010
  [frames[20], frames[21]] = [frames[21], frames[20]]; // swap two
  frames.splice(30, 0, frames[30]); // repeat one
  const p = new CheckingPlayer();
  for (const f of frames) p.pushVideo(f);
  const s = p.stats().check;
  t.equal(s.missing, 2, 'the lost frame, and the gap the swap opens before the late frame arrives');
  t.equal(s.outOfOrder, 1);
  t.equal(s.repeats, 1);
  t.throws(() => p.pushVideo({ data: Buffer.alloc(10), width: W, height: H }), /10 bytes is not I420 640x360/);
  const a = new CheckingPlayer();
  a.pushAudio(Buffer.alloc(960));
  a.pushAudio(Buffer.alloc(100));
  t.same([a.stats().audioChunks, a.stats().badAudioChunks], [2, 1]);
});

t.test('worker hand-off: wrtc stereo 10 ms audio becomes mono 960-byte chunks; frames pass; other rates refused', async (t) => {
  const p = new CheckingPlayer();
  const chunks: Buffer[] = [];
  p.pushAudio = (c: Buffer) => void chunks.push(Buffer.from(c));
  const sink = new PlayerSink(p);
  const stereo = new Int16Array(960);
  for (let i = 0; i < 480; i++) [stereo[2 * i], stereo[2 * i + 1]] = [1000, 3000];
  sink.audio({ samples: stereo, sampleRate: 48000, channelCount: 2 });
  sink.audio({ samples: new Int16Array(240), sampleRate: 48000 }); // half a chunk: held
  sink.audio({ samples: new Int16Array(441), sampleRate: 44100 });
  t.equal(chunks.length, 1);
  t.equal(chunks[0].length, 960);
  t.equal(chunks[0].readInt16LE(0), 2000, 'channels averaged');
  sink.video(decoded[0]);
  t.equal(p.stats().check.firstCounter, 1000);
  t.equal(sink.report().audioWrongRate, 1);
});

t.test('box player process: frames pass through gst-launch in order; a new size restarts it', async (t) => {
  t.match(playerPipelineArgs({ kind: 'kms', connectorId: 42 }, W, H).join(' '), /rawvideoparse width=640 height=360 format=i420 .* kmssink connector-id=42/);
  const player = new GstPlayer({ display: { kind: 'pipe' } });
  t.teardown(() => player.stop());
  await player.start();
  const check = new CheckingPlayer();
  const cut = new Rechunker(i420Size(W, H));
  player.shownOut!.on('data', (d: Buffer) => cut.push(d, (c) => check.pushVideo({ data: Buffer.from(c), width: W, height: H })));
  for (const f of decoded) {
    player.pushVideo(f);
    await new Promise((r) => setTimeout(r, 33));
  }
  await waitFor('every frame sent out of the process', () => [check.stats().framesShown, player.stats().framesShown], { until: ([out, sent]) => out >= sent });
  const ps = player.stats();
  const cs = check.stats();
  t.equal(ps.framesIn, N);
  t.equal(cs.framesShown, ps.framesShown, `all ${ps.framesShown} frames sent came out of the process (${ps.framesDropped} dropped at the door)`);
  // Not a speed floor: a busy machine drops some frames at the door (newest wins). A process that took one frame
  // and then stalled would pass on none of the rest.
  t.ok(ps.framesShown >= N / 2, `the process keeps taking frames (${ps.framesShown} of ${N} at 30 fps)`);
  t.same([cs.check.unreadable, cs.check.outOfOrder, cs.check.repeats], [0, 0, 0], 'in order, intact');
  t.ok(cs.check.missing <= ps.framesDropped, 'nothing missing but what was dropped at the door');
  // A burst in one tick: the process can take one frame at a time, the rest are dropped, not queued.
  const before = player.stats().framesDropped;
  for (let i = 0; i < 10; i++) player.pushVideo(decoded[i]);
  t.ok(player.stats().framesDropped - before >= 5, 'newest-wins drops a burst');
  const exited = new Promise<{ expected: boolean; reason?: string }>((resolve) => player.once('exit', resolve));
  player.pushVideo({ data: Buffer.alloc(i420Size(320, 180)), width: 320, height: 180 });
  const e = await exited;
  t.same([e.expected, e.reason], [true, undefined], 'the 640x360 process stopped on purpose, without error');
  t.equal(player.stats().restarts, 1);
  t.same([player.stats().width, player.stats().height], [320, 180]);
});

t.test('box player process killed: reported as an unexpected exit; the next frame starts a new one', async (t) => {
  const player = new GstPlayer({ display: { kind: 'fake' } });
  t.teardown(() => player.stop());
  await player.start();
  player.pushVideo(decoded[0]);
  await new Promise((r) => setTimeout(r, 200));
  const exit = new Promise<{ expected: boolean; signal: string | null }>((resolve) => player.once('exit', resolve));
  const pid = (player as unknown as { child: { pid: number } }).child.pid;
  process.kill(pid, 'SIGKILL');
  const e = await exit;
  t.same([e.expected, e.signal], [false, 'SIGKILL']);
  player.pushVideo(decoded[1]);
  t.ok((player as unknown as { child?: { pid: number } }).child?.pid, 'a new process for the next frame');
  const dropped = player.stats().framesDropped;
  t.doesNotThrow(() => player.pushVideo({ data: Buffer.alloc(10), width: W, height: H }), 'a malformed frame does not throw into wrtc');
  t.equal(player.stats().framesDropped, dropped + 1, 'it is counted as dropped');
});
