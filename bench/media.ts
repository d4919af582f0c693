// `npm run bench -- media [--json FILE] [--seconds 30] [--recover-tries 20] [--sizes 1280x720,640x360]
//   [--max-delay 0|default] [--warmup 10] [--no-erle] [--slow-box on|off|only] [--quotas 50,25]`
// The hall's uplink through a real Janus (in a network namespace, agent/demo/janus.ts) per resolution:
// capture-to-receive latency from the stamped pixels a second wrtc worker decodes, frames sent and dropped, the
// worker's CPU seconds per media second and RSS, and beside it the CPU of ffmpeg's libvpx in realtime mode
// encoding the same pattern at the same size, rate and bitrate. Then recovery after 10 s link cuts (audio heard,
// video at 20 fps), the echo canceller's ERLE on the synthetic room (agent/media/audio-erle.ts), and the slow box
// (media-slow-box.ts: 720p30 under CPU quotas; `--slow-box only` runs that part alone).
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { flags, percentile, printTable, writeJson } from './report.js';
import { cpuSeconds } from './cpu-share.js';
import { slowBox, type SlowBox } from './media-slow-box.js';
import { startJanusLab, type JanusLab } from '../lab/janus.js';
import { linkCutRecovery, memoryLogger, programme, sleep, startCentre, startHall, nextReport } from '../lab/media/fixture.js';
import { waitFor } from '../lab/wait.js';
import type { MediaController } from '../agent/media/controller.js';

const TICK_S = 0.01; // USER_HZ is 100 on Linux (proc(5), /proc/pid/stat utime/stime are in clock ticks)

/** CPU seconds per thread name (numbered threads of one kind, like "V8Worker3", summed as one). libwebrtc names
 *  its VP8 encoding thread EncoderQueue; "node" is the main thread. */
async function threadCpuSeconds(pid: number): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    m.set(name, (m.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * TICK_S);
  }
  return m;
}

/** Per thread kind, CPU s/s between two snapshots; kinds under 1 ms/s left out. */
function threadRates(a: Map<string, number>, b: Map<string, number>, dt: number): Record<string, number> {
  const rows = [...b].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / dt] as const).filter(([, r]) => r >= 0.001);
  return Object.fromEntries(rows.sort((x, y) => y[1] - x[1]).map(([k, r]) => [k, round(r)]));
}

async function rssMb(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024;
}

/** CPU of libvpx alone: a pattern generator piped into `ffmpeg -c:v libvpx -deadline realtime`, encoder measured. */
async function ffmpegReference(w: number, h: number, fps: number, kbps: number, seconds: number): Promise<number> {
  const gen = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}`,
    '-t', String(seconds), '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // libwebrtc's VP8 encoder runs libvpx realtime at cpu-used -6 with one thread on a 2-core box, no lag, error
  // resilient; the reference does the same.
  const enc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${w}x${h}`, '-r', String(fps), '-i', '-',
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '6', '-threads', '1', '-lag-in-frames', '0', '-error-resilient', '1',
    '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`, '-f', 'null', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  gen.stdout!.pipe(enc.stdin!);
  let cpu = 0;
  const sampler = setInterval(() => void cpuSeconds(enc.pid!).then((c) => (cpu = c)).catch(() => {}), 500);
  await new Promise((r) => enc.once('exit', r));
  clearInterval(sampler);
  return cpu / seconds;
}

interface Run {
  width: number; height: number; fps: number;
  latency_p50_ms: number | null; latency_p95_ms: number | null;
  frames_sent: number; frames_dropped: number; frames_missing_at_centre: number;
  /** Frames per second over the measured window: captured by the hall, encoded and sent, decoded at the centre
   *  (the rates the uplink test compares with each other rather than with the clock). */
  capture_fps: number; sent_fps: number; decoded_fps: number;
  cpu_s_per_s: number; ffmpeg_cpu_s_per_s: number; cpu_ratio: number;
  /** The worker's VP8 encoding thread alone, and its ratio to the reference: the rest of cpu_s_per_s is the fixed
   *  cost of a WebRTC stream (Opus, pacing, RTP/SRTP, UDP sends, reading the capture pipes). */
  encoder_cpu_s_per_s: number; encoder_ratio: number;
  /** The worker's CPU by thread (s/s): where the rest goes. */
  threads_cpu_s_per_s: Record<string, number>;
  /** The reference measured just before and just after the worker's window (the mean is ffmpeg_cpu_s_per_s): on a
   *  shared machine the load moves, and bracketing the worker's minutes shows how much. */
  ffmpeg_cpu_s_per_s_before_after: [number, number];
  rss_mb_start: number; rss_mb_end: number;
  /** RSS every 30 s of the measured window: a plateau (heap and allocator arenas settling) or a slope (a leak). */
  rss_series_mb: number[];
  rss_growth_pct: number;
  /** Full collections of the worker's heap during the run, and the longest main-thread pause of one. */
  major_gcs: number; gc_max_pause_ms: number;
}

async function runSize(lab: JanusLab, w: number, h: number, seconds: number, maxDelayMs: number | undefined, warmupS: number): Promise<Run> {
  const fps = 30;
  const kbps = Math.round((await import('../agent/media/worker/adapt.js')).levelOutput(0, { width: w, height: h, fps }, 1500).kbps);
  // The reference runs alone, before the hall starts and after it stops, so neither slows the other.
  const refSeconds = Math.min(seconds, 60);
  const refBefore = await ffmpegReference(w, h, fps, kbps, refSeconds);
  const hallLog = memoryLogger('hall');
  const hall: MediaController = await startHall(lab, { width: w, height: h, fps }, hallLog.log);
  let centre: MediaController | null = null;
  try {
    // A hall sits in a meeting for hours: measure the steady state, after the bandwidth estimate has ramped up.
    await sleep(warmupS * 1000);
    centre = await startCentre(lab, undefined, { programmeMaxDelayMs: maxDelayMs });
    await waitFor('the centre decoding the hall', () => programme(centre!), { until: (p) => p.frames > 30, timeoutMs: 30_000 });
    // Leave the subscription's first seconds (first keyframe, jitter buffer settling) out of the numbers.
    await sleep(2000);
    centre.resetProgrammeCheck();
    await sleep(1100);
    const pid = hall.workerPid()!;
    const c0 = await cpuSeconds(pid);
    const th0 = await threadCpuSeconds(pid);
    const r0 = await rssMb(pid);
    // Frame counts between two reports of the hall, each read as it arrives, and the centre's right after.
    const x0 = await nextReport(hall);
    const p0 = programme(centre);
    const t0 = Date.now();
    const series = [round(r0)];
    while (Date.now() - t0 < seconds * 1000) {
      await sleep(Math.min(30_000, seconds * 1000 - (Date.now() - t0)));
      series.push(round(await rssMb(pid)));
    }
    const c1 = await cpuSeconds(pid);
    const th1 = await threadCpuSeconds(pid);
    const r1 = await rssMb(pid);
    const dt = (Date.now() - t0) / 1000;
    const x1 = await nextReport(hall);
    const p1 = programme(centre);
    const framesS = (Date.now() - t0) / 1000;
    const captured = (x1.capture?.frames ?? 0) - (x0.capture?.frames ?? 0);
    const encoded = (x1.framesEncoded ?? 0) - (x0.framesEncoded ?? 0);
    const cpu = (c1 - c0) / dt;
    if (hall.report().status !== 'joined') console.error(hallLog.lines.slice(-20).join('\n'));
    await centre.stop();
    await hall.stop();
    const refAfter = await ffmpegReference(w, h, fps, kbps, refSeconds);
    const ref = (refBefore + refAfter) / 2;
    const enc = (th1.get('EncoderQueue') ?? 0) - (th0.get('EncoderQueue') ?? 0);
    return {
      width: w, height: h, fps,
      latency_p50_ms: p1.latencyP50Ms, latency_p95_ms: p1.latencyP95Ms,
      frames_sent: encoded, frames_dropped: Math.max(0, captured - encoded),
      frames_missing_at_centre: p1.missing - p0.missing,
      capture_fps: round(captured / framesS), sent_fps: round(encoded / framesS), decoded_fps: round((p1.frames - p0.frames) / framesS),
      cpu_s_per_s: round(cpu), ffmpeg_cpu_s_per_s: round(ref), cpu_ratio: round(cpu / ref),
      encoder_cpu_s_per_s: round(enc / dt), encoder_ratio: round(enc / dt / ref),
      threads_cpu_s_per_s: threadRates(th0, th1, dt), ffmpeg_cpu_s_per_s_before_after: [round(refBefore), round(refAfter)],
      rss_mb_start: round(r0), rss_mb_end: round(r1), rss_series_mb: series,
      rss_growth_pct: round(((r1 - r0) / r0) * 100),
      major_gcs: (x1.heap?.majorGcs ?? 0) - (x0.heap?.majorGcs ?? 0), gc_max_pause_ms: x1.heap?.maxPauseMs ?? 0,
    };
  } finally {
    await centre?.stop();
    await hall.stop();
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

interface Recovery {
  audioP95: number | null;
  videoP95: number | null;
  audio: Array<number | null>;
  video: Array<number | null>;
}

function p95(xs: Array<number | null>): number | null {
  const p = percentile(xs.map((s) => s ?? Infinity).sort((a, b) => a - b), 95);
  return Number.isFinite(p) ? p : null;
}

/** Link cuts of 10 s: seconds until the centre hears the hall again, and until it sees it at 20 fps or more. */
async function recoveryP95(lab: JanusLab, tries: number): Promise<Recovery> {
  const hall = await startHall(lab, { width: 640, height: 360 });
  const centre = await startCentre(lab);
  const audio: Array<number | null> = [];
  const video: Array<number | null> = [];
  try {
    await waitFor('the centre hearing the tone', () => programme(centre), { until: (p) => p.audioLoudSamples > 48000, timeoutMs: 30_000 });
    for (let i = 0; i < tries; i++) {
      const r = await linkCutRecovery(lab, centre, 10000);
      audio.push(r.audioS);
      video.push(r.videoS);
      console.log(`  link cut ${i + 1}/${tries}: audio back after ${r.audioS ?? 'never (>20 s)'} s, video at 20 fps after ${r.videoS ?? 'never (>20 s)'} s`);
      await sleep(2000);
    }
  } finally {
    await centre.stop();
    await hall.stop();
  }
  return { audioP95: p95(audio), videoP95: p95(video), audio, video };
}

async function erle(): Promise<number | null> {
  try {
    const mod = (await import('../lab/media/audio-erle.js')) as { measureErle(): Promise<{ erle_db: number }> };
    return round((await mod.measureErle()).erle_db);
  } catch (err) {
    console.error(`erle: not measured: ${(err as Error).message}`);
    return null;
  }
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const seconds = Number(f.get('seconds') ?? 30);
  const tries = Number(f.get('recover-tries') ?? 20);
  // The measuring subscriber asks Janus for this playout delay (RTP playout-delay extension), as a low-latency
  // receiver would; `--max-delay default` leaves libwebrtc's jitter buffer to choose (about 40-50 ms more here).
  const warmup = Number(f.get('warmup') ?? 10);
  const md = f.get('max-delay') ?? '0';
  const maxDelay = md === 'default' ? undefined : Number(md);
  const slow = f.get('slow-box') ?? 'on';
  const only = slow === 'only';
  const sizes = only ? [] : (f.get('sizes') ?? '1280x720,640x360').split(',').map((s) => s.split('x').map(Number));
  const quotas = (f.get('quotas') ?? '50,25').split(',').map(Number);
  const lab = await startJanusLab();
  const runs: Run[] = [];
  let recover: Recovery = { audioP95: null, videoP95: null, audio: [], video: [] };
  let slowRun: SlowBox | null = null;
  try {
    if (slow !== 'off') slowRun = await slowBox(lab, quotas);
    for (const [w, h] of sizes) {
      console.log(`media: ${w}x${h}@30: ffmpeg libvpx for ${Math.min(seconds, 60)} s, the hall for ${seconds} s, ffmpeg again`);
      runs.push(await runSize(lab, w, h, seconds, maxDelay, warmup));
    }
    if (tries > 0 && !only) {
      console.log(`media: ${tries} link cuts of 10 s`);
      recover = await recoveryP95(lab, tries);
    }
  } finally {
    await lab.close();
  }
  const erleDb = f.get('no-erle') || only ? null : await erle();
  if (slowRun?.skipped) console.log(`slow box: not run: ${slowRun.skipped}`);
  printTable(`slow_box: the worker at 720p30 under a cgroup cpu quota, % of what 720p30 takes here (${slowRun?.full_cpu_s_per_s} CPU s/s)`, (slowRun?.rows ?? []) as never);
  if (only) return writeJson(f.get('json'), { slow_box: slowRun });
  printTable('media uplink through Janus (worker vs ffmpeg libvpx realtime)', runs.map(({ threads_cpu_s_per_s: _, ...r }) => r) as never);
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.threads_cpu_s_per_s)))];
  const bySize = (n: string) => Object.fromEntries(runs.map((r) => [`${r.width}x${r.height}`, r.threads_cpu_s_per_s[n] ?? 0]));
  printTable('worker CPU by thread, s/s', names.map((n) => ({ thread: n, ...bySize(n) })));
  printTable('recovery after 10 s link cuts, and echo cancellation', [{ audio_recover_p95_s: recover.audioP95, video_recover_p95_s: recover.videoP95, tries, erle_db: erleDb }]);
  await writeJson(f.get('json'), { seconds, receiver_max_delay_ms: maxDelay ?? null, runs, erle_db: erleDb, audio_recover_p95_s: recover.audioP95, audio_recover_s: recover.audio, video_recover_p95_s: recover.videoP95, video_recover_s: recover.video, slow_box: slowRun });
}
