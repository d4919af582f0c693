// Echo return loss enhancement (ERLE) of the real room audio pipeline on the synthetic room.
//
// The loop is closed in real time, as in a hall: the programme is written into the real gst-launch process at
// clock pace, the samples its loudspeaker branch really played (playedOut) go through the room (audio-room.ts),
// and what the room's mic hears goes back in (micIn). So the canceller faces the pipeline's own playout delay
// plus the room's acoustic delay, not an offline file lined up by hand.
//
// Timeline, in played samples:  [0, farS) programme only: converge, then ERLE over [convergeS, farS)
//                               [farS, farS+talkS) near-end talker only: its level at the output, single-talk
//                               [farS+talkS, farS+2*talkS) programme and the same talker: double-talk level
// ERLE = 10 log10( energy of the echo at the mic / energy of the output ), both over the converged window
// (ITU-T G.168 defines ERLE on the echo path alone, which is why that window has no near-end talker).
import { DeviceTimeoutError, DisconnectedError } from '../../core/errors.js';
import { type Logger } from '../../core/log.js';
import { startAudioIo, type AudioIo } from '../../agent/media/room-audio/audio-io.js';
import { CHUNK_MS, CHUNK_SAMPLES, dbfs, energy, floatToS16, PCM_RATE, Rechunker, s16ToFloat } from '../../agent/media/room-audio/pcm.js';
import type { DspOptions } from '../../agent/media/room-audio/pipeline.js';
import { makeRoomImpulse, SyntheticRoom, type RoomImpulseOptions } from './audio-room.js';
import { speak } from './audio-speech.js';

export interface ErleOptions {
  /** Programme-only seconds (convergence plus measurement). */
  farS?: number;
  /** Seconds skipped before ERLE is measured: the canceller's convergence. */
  convergeS?: number;
  /** Seconds of the near-end talker, single-talk then double-talk; 0 skips the double-talk check. */
  talkS?: number;
  room?: RoomImpulseOptions;
  noiseDbfs?: number;
  dsp?: DspOptions;
  log?: Logger;
  /** Called with the running process once it plays (tests use it to kill the process mid-run). */
  onPlaying?: (io: AudioIo) => void;
}

export interface ErleResult {
  erle_db: number;
  /** Echo at the mic and what is left of it at the output, dBFS, over the converged window. */
  echo_dbfs: number;
  residual_dbfs: number;
  /** Near-end talker at the output alone and under double-talk (speech frames only), dBFS; drop = difference. */
  near_single_dbfs?: number;
  near_double_dbfs?: number;
  near_drop_db?: number;
  /** Correlation of the 10 ms log-energy envelopes of the output and the talker under double-talk (1 = same shape). */
  near_envelope_corr?: number;
  /**
   * How far the echo lags its far-end reference on the pipeline's timelines, ms: the room's acoustic delay, the
   * mic stream's leading 10 ms block, and the offset between the streams' first buffers (audiorate anchors each
   * timeline to its first buffer). The canceller is told echoDelayMs (default 30) of it.
   */
  reference_lead_ms: number;
  /** Programme written -> the same samples played by the loudspeaker branch, ms. */
  playout_p50_ms: number;
  playout_p95_ms: number;
  chunks_in: number;
  chunks_out: number;
  wall_s: number;
}

const FAR_TEXT =
  'Kính thưa các đồng chí đại biểu, hôm nay chúng ta họp trực tuyến để bàn về kế hoạch sản xuất vụ đông xuân, ' +
  'công tác phòng chống thiên tai và việc chuẩn bị bầu cử đại biểu hội đồng nhân dân các cấp.';
const NEAR_TEXT = 'Xin chào trung tâm, đây là hội trường xã, chúng tôi nghe rõ, xin mời tiếp tục.';

const ROOM_DELAY_MS = 30;

function loop(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i % x.length];
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

function corr(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const ma = a.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const mb = b.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export async function measureErle(opts: ErleOptions = {}): Promise<ErleResult> {
  const { farS = 10, convergeS = 3, talkS = 4, noiseDbfs = -60 } = opts;
  const far = await speak(FAR_TEXT, { voice: 'vi', pitch: 40, speed: 160, peakDbfs: -6 });
  const near = talkS > 0 ? (await speak(NEAR_TEXT, { voice: 'vi', pitch: 70, speed: 170, peakDbfs: -12 })) : null;
  const farN = farS * PCM_RATE;
  const talkN = talkS * PCM_RATE;
  const total = farN + 2 * talkN;
  // The programme: speech, a pause while the hall talks alone, then speech again over the hall.
  const programme = new Float32Array(total);
  programme.set(loop(far, farN), 0);
  if (talkN) programme.set(loop(far, talkN), farN + talkN);
  const nearClip = near ? near.subarray(0, Math.min(near.length, talkN)) : null;
  const talk = nearClip ? [{ at: farN, samples: nearClip }, { at: farN + talkN, samples: nearClip }] : [];
  const room = new SyntheticRoom({ impulse: makeRoomImpulse({ delayMs: ROOM_DELAY_MS, ...opts.room }), talk, noiseDbfs });

  const io = startAudioIo({ playback: { kind: 'pipe' }, capture: { kind: 'pipe' }, dsp: opts.dsp, log: opts.log });
  const chunks = total / CHUNK_SAMPLES;
  const echo: Float32Array[] = [];
  const nearAt: Float32Array[] = [];
  const out: Float32Array[] = [];
  const writtenAt: number[] = [];
  const playout: number[] = [];
  let firstMicWrite = NaN;
  let held: Buffer | null = null;
  const t0 = performance.now();
  try {
    await io.ready();
    opts.onPlaying?.(io);
    io.micOut.on('data', (c: Buffer) => out.push(s16ToFloat(c)));
    const played = new Rechunker();
    let watchdog: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      io.once('exit', (e) => reject(new DisconnectedError(`audio io exited during the ERLE run: ${e.reason ?? e.code}`)));
      // A pipeline that stops playing without dying must fail the run, not hang it.
      let seen = -1;
      watchdog = setInterval(() => {
        if (echo.length === seen) reject(new DeviceTimeoutError(`audio io: nothing played for 3 s (block ${seen} of ${chunks})`));
        seen = echo.length;
      }, 3000);
      io.playedOut!.on('data', (d: Buffer) =>
        played.push(d, (c) => {
          const k = echo.length;
          playout.push(performance.now() - writtenAt[k]);
          const block = room.hear(s16ToFloat(c));
          echo.push(block.echo);
          nearAt.push(block.near);
          // A real ADC hands over a block after it has been captured: each mic block goes in one block later,
          // so it never reaches the canceller before the reference it must be matched against.
          if (held) io.micIn!.write(held);
          held = floatToS16(block.mic);
          if (echo.length === chunks) resolve();
        }),
      );
    });
    // Clock-paced writer: each tick writes every 10 ms chunk that is due, so a late timer catches up.
    const start = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.min(chunks, Math.floor((performance.now() - start) / 10) + 1);
      for (; sent < due; sent++) {
        writtenAt.push(performance.now());
        if (sent === 0) {
          // The mic stream starts with the programme, one 10 ms block of silence ahead of the room's first block:
          // audiorate anchors each stream's timeline to its first buffer, so both first buffers go out together
          // (a box's alsasrc stamps capture time and needs no such care).
          firstMicWrite = performance.now();
          io.micIn!.write(Buffer.alloc(CHUNK_SAMPLES * 2));
        }
        io.programmeIn.write(floatToS16(programme.subarray(sent * CHUNK_SAMPLES, (sent + 1) * CHUNK_SAMPLES)));
      }
      if (sent >= chunks) clearInterval(timer);
    }, 5);
    try {
      await done;
    } finally {
      clearInterval(timer);
      clearInterval(watchdog);
    }
    // The last blocks can sit in the pipeline until more input pushes them out: trailing blocks of silence.
    if (held) io.micIn!.write(held);
    io.micIn!.write(Buffer.alloc(CHUNK_SAMPLES * 2 * 5));
    const until = performance.now() + 2000;
    while (out.length < chunks + 1 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await io.stop();
  }

  out.shift(); // the leading silent block: out[k] is now the room's block k
  out.length = Math.min(out.length, chunks);
  const from = (convergeS * PCM_RATE) / CHUNK_SAMPLES;
  const to = farN / CHUNK_SAMPLES;
  const cat = (xs: Float32Array[], a: number, b: number) => {
    const r = new Float32Array((b - a) * CHUNK_SAMPLES);
    for (let i = a; i < b; i++) if (xs[i]) r.set(xs[i], (i - a) * CHUNK_SAMPLES);
    return r;
  };
  const e = cat(echo, from, to);
  const o = cat(out, from, to);
  const sorted = playout.slice().sort((a, b) => a - b);
  const result: ErleResult = {
    erle_db: 10 * Math.log10(energy(e) / Math.max(energy(o), 1e-12)),
    echo_dbfs: dbfs(e),
    residual_dbfs: dbfs(o),
    reference_lead_ms: (opts.room?.delayMs ?? ROOM_DELAY_MS) + CHUNK_MS + (firstMicWrite - writtenAt[0]),
    playout_p50_ms: percentile(sorted, 50),
    playout_p95_ms: percentile(sorted, 95),
    chunks_in: echo.length,
    chunks_out: out.length,
    wall_s: (performance.now() - t0) / 1000,
  };
  if (talkN) {
    // Level over the talker's speech frames only (frames within 30 dB of its loudest), same frames both times.
    const k0 = farN / CHUNK_SAMPLES;
    const kn = talkN / CHUNK_SAMPLES;
    const frameDb = (xs: Float32Array[], k: number) => (xs[k] ? dbfs(xs[k]) : -Infinity);
    const talkDb = Array.from({ length: kn }, (_, i) => frameDb(nearAt, k0 + i));
    const loudest = Math.max(...talkDb);
    const active = talkDb.map((d, i) => (d > loudest - 30 ? i : -1)).filter((i) => i >= 0);
    const level = (base: number) => {
      let en = 0;
      for (const i of active) en += out[base + i] ? energy(out[base + i]) : 0;
      return 10 * Math.log10(en / (active.length * CHUNK_SAMPLES));
    };
    result.near_single_dbfs = level(k0);
    result.near_double_dbfs = level(k0 + kn);
    result.near_drop_db = result.near_single_dbfs - result.near_double_dbfs;
    const env = (xs: Float32Array[], base: number) =>
      active.map((i) => 10 * Math.log10((xs[base + i] ? energy(xs[base + i]) : 0) + 1e-9));
    result.near_envelope_corr = corr(env(out, k0 + kn), env(nearAt, k0 + kn));
  }
  return result;
}
