// The media worker: a child process of the agent (controller.ts) that owns everything wrtc touches, because
// @roamhq/wrtc can crash at peer close and at exit (so the agent survives it, and so exit is always explicit).
// It captures (capture.ts), feeds RTCVideoSource/RTCAudioSource, keeps one bridge session (worker-session.ts),
// adapts the encoder (adapt.ts), watches "heard"/"seen" (heard.ts) and recovers: ICE restart, then new sessions
// with backoff. Speaks worker-protocol.ts over the IPC channel.
import { Capture } from '../frames/capture.js';
import { MediaFeed } from './feed.js';
import { BridgeSession } from './session.js';
import { dropResidue } from '../signalling/create.js';
import { CheckingSink, ProgrammeKeeper, type ProgrammeSink } from './programme.js';
import { BannerSink } from '../programme/banner-sink.js';
import { roomPathFor, type RoomPath } from './room.js';
import { readPublisherStats, toneSelftest, type PublisherStats } from './stats.js';
import { HeardTracker } from './heard.js';
import { AUDIO_ONLY, EstimateMemory, LADDER, levelOutput, initialAdapt, nextLevel, topLevel, type AdaptState, type LevelOutput } from './adapt.js';
import type { FromWorker, JoinRequest, Quality, SelftestResult, ToWorker } from './protocol.js';
import type { MediaConfig } from '../../../core/config/media.js';
import type { MediaReport } from '../types.js';
import { BadRequestError, errorToWire } from '../../../core/errors.js';
import { HeapCollector } from './heap-collect.js';
import { calibrateRoom, type EchoCalibration } from '../room-audio/echo-calibrate.js';

const send = (m: FromWorker) => process.send?.(m);
const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => send({ type: 'log', level, msg, fields });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cfg: MediaConfig;
let feed: MediaFeed;
const checking = new CheckingSink();
// On a box the room path (worker-room.ts) plays the programme and owns the mic; simulating, the checking sink.
let room: RoomPath | null = null;
let sink: ProgrammeSink = checking;
// The hall's TV banner (the floor, a call, a roll call), drawn onto each programme frame before the sink gets it.
let banner: BannerSink | null = null;
let capture: Capture | null = null;
let session: BridgeSession | null = null;
let joinReq: JoinRequest | null = null;
let status: MediaReport['status'] = 'idle';
let lastError: MediaReport['error'];
let forcedAudioOnly = false;
let quality: Quality = '720p';
let adapt: AdaptState = initialAdapt(0);
let applied: LevelOutput | null = null;
const heard = new HeardTracker();
const heap = new HeapCollector();
const estimates = new EstimateMemory();
let recovering = false;
let generation = 0;
const counters = { repairs: 0, iceRestarts: 0, sessions: 0 };
let prevStats: PublisherStats | null = null;
let lastStats: PublisherStats | null = null;
const shown = { bitrateKbps: 0, fps: 0 };
let statsTimer: NodeJS.Timeout | null = null;

function videoActive(): boolean {
  return !forcedAudioOnly && LADDER[adapt.level].video;
}

function report(): MediaReport {
  const st = lastStats;
  const a = st?.audio;
  return {
    status,
    room: joinReq?.room,
    seen: heard.seen,
    heard: heard.heard,
    muted: feed.muted,
    audioOnly: !videoActive(),
    stats: {
      bitrateKbps: shown.bitrateKbps,
      fps: shown.fps,
      width: st?.frameWidth ?? undefined,
      height: st?.frameHeight ?? undefined,
      lossPct: a?.fractionLost != null ? Math.round(a.fractionLost * 1000) / 10 : undefined,
      jitterMs: a?.jitterS != null ? Math.round(a.jitterS * 10000) / 10 : undefined,
      rttMs: a?.rttS != null ? Math.round(a.rttS * 10000) / 10 : st?.pairRttS != null ? Math.round(st.pairRttS * 10000) / 10 : undefined,
      framesDropped: capture?.stats().video.dropped ?? 0,
    },
    error: lastError,
  };
}

function publishReport(): void {
  send({
    type: 'report',
    report: report(),
    extra: {
      capture: { frames: feed.frames, dropped: capture?.stats().video.dropped ?? 0, audioChunks: feed.audioChunks },
      framesEncoded: lastStats?.framesEncoded ?? 0,
      programme: sink.report(),
      level: forcedAudioOnly ? 'audio-only (forced)' : LADDER[adapt.level].name,
      repairs: counters.repairs,
      iceRestarts: counters.iceRestarts,
      sessions: counters.sessions,
      heap: heap.report(),
    },
  });
}

/** The current ladder level made real: capture size, frame stride, video ceiling (adapt.ts levelOutput). */
async function applyLevel(): Promise<void> {
  const level = forcedAudioOnly ? AUDIO_ONLY : adapt.level;
  const want = levelOutput(level, cfg, cfg.maxBitrateKbps);
  // Audio-only keeps the capture size, so coming back costs no capture restart.
  feed.stride = want.video ? want.stride : 0;
  if (capture && want.video && (want.width !== capture.opts.width || want.height !== capture.opts.height)) await startCapture(want.width, want.height);
  const kbps = want.video ? want.kbps : 64;
  if (session?.pub && applied?.kbps !== kbps) {
    await session.setCeiling(kbps).catch((err) => log('warn', 'media: video ceiling not applied', { err: (err as Error).message }));
  }
  if (applied?.video !== want.video || applied?.height !== want.height || applied?.stride !== want.stride) {
    log('info', 'media: encoder level', { step: level === AUDIO_ONLY ? 'audio-only' : LADDER[level].name, ...want });
  }
  applied = { ...want, kbps };
}

async function startCapture(width: number, height: number): Promise<void> {
  await capture?.stop();
  feed.width = width;
  feed.height = height;
  feed.stamp = cfg.simulate;
  const c = new Capture(
    { width, height, fps: cfg.fps, simulate: cfg.simulate, videoDevice: cfg.devices.video, videoFormat: cfg.devices.videoFormat, audioDevice: cfg.devices.audio, videoOnly: room !== null },
    feed.onVideo,
    feed.onAudio,
  );
  capture = c;
  c.on('exit', (code, signal, stderr) => {
    log('error', 'media: capture ended; restarting it in 2 s', { code, signal, stderr });
    // A camera unplugged or a device busy: keep trying, the meeting goes on with whatever still works.
    setTimeout(() => {
      if (capture === c && joinReq) startCapture(width, height).catch((err) => log('error', 'media: capture restart', { err: (err as Error).message }));
    }, 2000);
  });
  c.on('error', (err: Error) => log('error', 'media: capture', { err: err.message }));
  await c.start();
}

async function tick(): Promise<void> {
  const pub = session?.pub;
  if (status === 'idle') return;
  ensureProgramme();
  if (!pub) return publishReport();
  const st = await readPublisherStats(pub.pc).catch(() => null);
  if (!st) return;
  prevStats = lastStats;
  lastStats = st;
  if (status === 'joined' && st.availableBps) estimates.note(st.at, st.availableBps / 1000);
  if (prevStats) {
    const dt = (st.at - prevStats.at) / 1000;
    const bytes = st.videoBytesSent + st.audioBytesSent - prevStats.videoBytesSent - prevStats.audioBytesSent;
    shown.bitrateKbps = Math.max(0, Math.round((bytes * 8) / dt / 1000));
    shown.fps = Math.max(0, Math.round(((st.framesEncoded - prevStats.framesEncoded) / dt) * 10) / 10);
  }
  const micDbfs = feed.takeLevelDbfs();
  const action = heard.update({
    now: st.at,
    audio: st.audio,
    video: st.video,
    micDbfs,
    muted: feed.muted,
    videoActive: videoActive(),
    bridgeAudio: session?.bridgeReceiving.audio,
  });
  if (status === 'joined') {
    adapt = nextLevel(adapt, { audioLoss: st.audio?.fractionLost ?? null, videoLoss: st.video?.fractionLost ?? null }, topLevel(quality, cfg.height));
    await applyLevel();
    if (action !== 'none') void repair(action);
  }
  publishReport();
}

async function repair(action: 'renegotiate' | 'new-session'): Promise<void> {
  counters.repairs++;
  log('warn', 'media: video reaches the bridge but audio does not: repairing', { action });
  if (action === 'renegotiate') await session?.renegotiate().catch((err) => log('warn', 'media: renegotiation failed', { err: err.message }));
  else void recover('audio not heard');
}

async function openSession(): Promise<void> {
  const req = joinReq!;
  const s = new BridgeSession(req, cfg, feed.tracks, sink);
  session = s;
  counters.sessions++;
  heard.reset();
  applied = null;
  s.on('ice', (state: string) => {
    log('debug', 'media: ice', { state });
    if ((state === 'disconnected' || state === 'failed') && status === 'joined') void recover(`ice ${state}`);
  });
  s.on('lost', (reason: string) => void recover(reason, true));
  await s.open();
  // The controller keeps this, so that our successor can clear it from the bridge if we crash.
  send({ type: 'residue', urls: s.signalling.residue() });
  await applyLevel();
  programme.reset();
}

const programme = new ProgrammeKeeper((msg, fields) => log('warn', msg, fields));

/** Called every tick: keeps a programme subscription alive, whether it starts before or after we join. */
function ensureProgramme(): void {
  const s = session;
  const wanted = joinReq?.programme !== null && (cfg.receiveProgramme || joinReq?.programme);
  if (s && wanted && status === 'joined') programme.keep(() => s.receiveProgramme(), sink.lastInputAt, () => session === s);
}

function connected(s: BridgeSession | null): boolean {
  const st = s?.pub?.pc.iceConnectionState;
  return st === 'connected' || st === 'completed';
}

/** ICE restarts while the session lives, then new sessions with exponential backoff and jitter. */
async function recover(reason: string, sessionGone = false): Promise<void> {
  if (recovering || !joinReq) return;
  recovering = true;
  const gen = generation;
  status = 'recovering';
  log('warn', 'media: recovering', { reason });
  publishReport();
  const started = Date.now();
  const estimate = estimates.best(started);
  try {
    // A short outage often heals by itself (ICE consent resumes); give it a moment before restarting ICE.
    if (!sessionGone) await sleep(500);
    while (!sessionGone && Date.now() - started < 20000 && gen === generation) {
      if (connected(session)) {
        if (estimate && applied?.video) void session!.restoreEstimate(Math.min(Math.round(estimate), applied.kbps)).catch(() => {});
        return void (status = 'joined');
      }
      // Restart ICE only once the bridge answers: offers made while the link is down are wasted.
      const reachable = await session!.ping(1000).then(() => true, () => false);
      if (!reachable) {
        await sleep(250);
        continue;
      }
      counters.iceRestarts++;
      try {
        log('debug', 'media: bridge reachable, restarting ICE');
        await session!.iceRestart();
        log('debug', 'media: ICE restart negotiated');
        for (let i = 0; i < 20 && !connected(session); i++) await sleep(100);
      } catch (err) {
        log('debug', 'media: ICE restart failed', { err: (err as Error).message });
        await sleep(250);
      }
    }
    for (let attempt = 0; gen === generation && joinReq; attempt++) {
      await session?.close();
      session = null;
      try {
        await openSession();
        for (let i = 0; i < 50 && !connected(session); i++) await sleep(100);
        if (connected(session)) return void (status = 'joined');
      } catch (err) {
        lastError = errorToWire(err);
        log('warn', 'media: new session failed', { attempt, err: lastError.message });
      }
      const cap = cfg.restartBackoffMaxMs;
      await sleep(Math.random() * Math.min(cap, 500 * 2 ** attempt));
    }
  } finally {
    recovering = false;
    if (status === 'joined') {
      lastError = undefined;
      log('info', 'media: recovered', { ms: Date.now() - started });
    }
    publishReport();
  }
}

async function doJoin(req: JoinRequest): Promise<void> {
  // An echo calibration holds the loudspeaker and mic for its last few seconds: the meeting starts after it.
  await calibrating;
  if (joinReq) await doLeave();
  joinReq = req;
  generation++;
  status = 'joining';
  lastError = undefined;
  publishReport();
  adapt = initialAdapt(topLevel(quality, cfg.height));
  applied = null;
  await room?.start();
  if (req.publish !== false) {
    const first = levelOutput(adapt.level, cfg, cfg.maxBitrateKbps);
    await startCapture(first.width, first.height);
  }
  try {
    await openSession();
    status = 'joined';
    publishReport();
    send({ type: 'joined' });
  } catch (err) {
    lastError = errorToWire(err);
    log('warn', 'media: join failed, retrying', { err: lastError.message });
    void recover(lastError.message, true);
  }
  statsTimer ??= setInterval(() => void tick(), Math.max(100, req.reportMs ?? 1000));
  publishReport();
}

async function doLeave(): Promise<void> {
  generation++;
  joinReq = null;
  if (statsTimer) clearInterval(statsTimer);
  statsTimer = null;
  await session?.close();
  session = null;
  await capture?.stop();
  capture = null;
  await room?.stop();
  status = 'idle';
  heard.reset();
  lastStats = prevStats = null;
  publishReport();
  send({ type: 'left' });
}

/** Sends a request's result, or its error, back with the request's id. */
async function answer(id: number, run: () => Promise<SelftestResult | EchoCalibration>): Promise<void> {
  try {
    send({ type: 'result', id, ok: true, value: await run() });
  } catch (err) {
    send({ type: 'result', id, ok: false, error: errorToWire(err) });
  }
}

/** Outside a meeting only: the trials play noise through the hall's loudspeaker and hold its mic. */
let calibrating: Promise<unknown> | null = null;
async function echoCalibrate(): Promise<EchoCalibration> {
  if (!room) throw new BadRequestError("echo-calibrate: needs the hall's loudspeaker and mic (media.simulate is on)");
  if (status !== 'idle' || calibrating) throw new BadRequestError(`echo-calibrate: only outside a meeting and once at a time (media status ${status})`);
  const run = calibrateRoom(cfg.roomAudio, room.log);
  calibrating = run.catch(() => {});
  return run.finally(() => (calibrating = null));
}

async function shutdown(code: number): Promise<never> {
  // Leaving politely must not keep an orphan alive when the bridge does not answer.
  setTimeout(() => process.exit(code), 3000);
  await doLeave().catch(() => {});
  feed?.stop();
  // wrtc segfaults if the process exits on its own after creating tracks: always leave explicitly.
  process.exit(code);
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      cfg = m.cfg;
      feed = new MediaFeed(cfg.denoise);
      room = roomPathFor(cfg, feed.onAudio, log);
      sink = banner = new BannerSink(room ?? checking);
      if (!heap.start(30000)) log('warn', 'media worker: started without --expose-gc; its heap will creep until V8 collects');
      return void send({ type: 'ready' });
    case 'join':
      if (m.residue?.length) {
        const failed = await dropResidue(cfg.signalling, m.residue, m.join.token);
        log(failed.length ? 'warn' : 'info', 'media: cleared what the crashed worker left on the bridge', { urls: m.residue.length, failed });
      }
      return doJoin(m.join);
    case 'leave':
      return doLeave();
    case 'mute':
      feed.muted = m.on;
      return publishReport();
    case 'audio-only':
      forcedAudioOnly = m.on;
      await applyLevel();
      return publishReport();
    case 'quality':
      quality = m.max;
      // The staff's cap is taken at once; from there the ladder steps down again if the link asks for it.
      adapt = initialAdapt(topLevel(quality, cfg.height));
      await applyLevel();
      return publishReport();
    case 'selftest':
      return answer(m.id, () => {
        if (status !== 'joined' || !session?.pub) throw new Error(`selftest: not joined (status ${status})`);
        return toneSelftest(session.pub.pc, (ms) => feed.tone(ms), m.seconds);
      });
    case 'echo-calibrate':
      return answer(m.id, echoCalibrate);
    case 'banner':
      return banner?.set(m.text);
    case 'reset-programme-check':
      checking.reset();
      return publishReport();
    case 'stop':
      return void shutdown(0);
  }
}

process.on('message', (m: ToWorker) => {
  handle(m).catch((err) => log('error', `media worker: ${m.type} failed`, { err: (err as Error).message, stack: (err as Error).stack }));
});
// The agent went away: nothing to report to, so leave the bridge cleanly and end.
process.on('disconnect', () => void shutdown(0));
process.on('uncaughtException', (err) => {
  log('error', 'media worker: uncaught', { err: err.message, stack: err.stack });
  process.exit(1);
});
