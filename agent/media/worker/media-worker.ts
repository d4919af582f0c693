// The media worker's state and what it does with each message from the controller (protocol.ts); worker.ts wires
// the process's IPC channel to it. It captures (capture.ts), feeds RTCVideoSource/RTCAudioSource, keeps one bridge
// session (session.ts), adapts the encoder (adapt.ts), watches "heard"/"seen" (heard.ts) and recovers
// (recovery-policy.ts, recovery.ts); outside a meeting, local.ts shows the card and monitors camera and mic.
//
// Messages are taken one at a time, in order: each is handled to completion before the next starts. A leave, a new
// join or a stop cancels the meeting under way when it arrives (meeting.ts), so that a join waiting on a bridge that
// does not answer gives way at once; the stats tick, recovery and capture restarts run beside the queue as the
// meeting's background work, and a leave waits until none of it runs any more.
import { MediaFeed } from './feed.js';
import { BridgeSession } from './session.js';
import { dropResidue } from '../signalling/create.js';
import { CheckingSink, type ProgrammeSink } from './programme.js';
import { ProgrammeFreshness, ProgrammeKeeper } from './programme-keeper.js';
import { roomPathFor, type RoomPath } from './room.js';
import { BannerSink } from '../programme/banner-sink.js';
import { reportedStats, readPublisherStats, toneSelftest, type PublisherStats } from './stats.js';
import { HeardTracker, type RepairAction } from './heard.js';
import { EstimateMemory, GOOD_SAMPLES } from './adapt.js';
import { EncoderControl } from './encoder.js';
import { RECOVERY } from './recovery-policy.js';
import { recoverSession, type RecoveryHost } from './recovery.js';
import { Meeting, isMeetingOver } from './meeting.js';
import type { FromWorker, SelftestResult, StillResult, ToWorker, WorkerLog } from './protocol.js';
import type { MediaConfig } from '../../../core/config/media.js';
import type { MediaReport } from '../types.js';
import { BadRequestError, errorToWire } from '../../../core/errors.js';
import { HeapCollector } from '../../heap-collect.js';
import { calibrateRoom, type EchoCalibration } from '../room-audio/echo-calibrate.js';
import { LocalView } from './local.js';

/** The worker's way out: messages to the controller, and the end of the process (always explicit: wrtc). */
export interface WorkerIo {
  send(m: FromWorker): void;
  exit(code: number): void;
}

/** A stop that cannot leave politely within this long exits anyway: no orphan when the bridge does not answer. */
const STOP_LIMIT_MS = 3000;
export class MediaWorker {
  private cfg!: MediaConfig;
  private feed!: MediaFeed;
  private encoder!: EncoderControl;
  private readonly checking = new CheckingSink();
  // On a box the room path (worker-room.ts) plays the programme and owns the mic; simulating, the checking sink.
  private room: RoomPath | null = null;
  private sink: ProgrammeSink = this.checking;
  private banner!: BannerSink;
  private local!: LocalView;
  private session: BridgeSession | null = null;
  /** The meeting whose join has run and that no leave has ended yet. */
  private meeting: Meeting | null = null;
  /** The meeting of the last join received (it may still wait its turn): the next join, leave or stop cancels it. */
  private latest: Meeting | null = null;
  private status: MediaReport['status'] = 'idle';
  private lastError: MediaReport['error'];
  private heard = new HeardTracker(); // replaced at init, with the hall's repair settings
  private readonly heap = new HeapCollector();
  private readonly estimates = new EstimateMemory();
  private readonly programme = new ProgrammeKeeper((msg, fields) => this.log('warn', msg, fields));
  /** When the programme last really arrived (its PeerConnection's stats, read once a second at most). */
  private readonly programmeFresh = new ProgrammeFreshness();
  private recovering = false;
  private readonly counters = { repairs: 0, iceRestarts: 0, sessions: 0 };
  private prevStats: PublisherStats | null = null;
  private lastStats: PublisherStats | null = null;
  private readonly shown = { bitrateKbps: 0, fps: 0 };
  private calibrating: Promise<unknown> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly io: WorkerIo) {}

  private readonly log: WorkerLog = (level, msg, fields) => this.io.send({ type: 'log', level, msg, fields });

  /** A message from the controller: queued in order, after cancelling the meeting it replaces (see above). */
  receive(m: ToWorker): void {
    if (this.stopping) return;
    if (m.type === 'stop') return this.stop(0);
    let meeting: Meeting | null = null;
    if (m.type === 'join' || m.type === 'leave') {
      this.latest?.cancel();
      if (m.type === 'join') meeting = new Meeting(m.join, (what, err) => this.log('error', `media: ${what} failed`, { err: err.message, stack: err.stack }));
      this.latest = meeting;
    }
    this.enqueue(m.type, () => this.handle(m, meeting));
  }

  /** Leaves the bridge cleanly (within STOP_LIMIT_MS) and ends the process. */
  stop(code: number): void {
    if (this.stopping) return;
    this.stopping = true;
    this.latest?.cancel();
    setTimeout(() => this.io.exit(code), STOP_LIMIT_MS);
    this.enqueue('stop', async () => {
      await this.local?.stop();
      await this.leave().catch(() => {});
      this.feed?.stop();
      // wrtc segfaults if the process exits on its own after creating tracks: always leave explicitly.
      this.io.exit(code);
    });
  }

  private enqueue(what: string, fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((err) => {
      if (!isMeetingOver(err)) this.log('error', `media worker: ${what} failed`, { err: (err as Error).message, stack: (err as Error).stack });
    });
  }

  private async handle(m: ToWorker, meeting: Meeting | null): Promise<void> {
    switch (m.type) {
      case 'init':
        return this.init(m.cfg);
      case 'join':
        return this.join(meeting!, m.residue);
      case 'leave':
        return this.leave();
      case 'mute':
        this.feed.muted = m.on;
        return this.publishReport();
      case 'audio-only':
        this.encoder.forcedAudioOnly = m.on;
        await this.encoder.apply(this.session, this.meeting);
        return this.publishReport();
      case 'quality':
        this.encoder.quality = m.max;
        this.encoder.top();
        await this.encoder.apply(this.session, this.meeting);
        return this.publishReport();
      case 'selftest':
        // Checked in turn, answered when done: a selftest takes seconds and must not hold up a leave.
        return void this.answer(m.id, () => {
          const pub = this.session?.pub;
          if (this.status !== 'joined' || !pub) throw new Error(`selftest: not joined (status ${this.status})`);
          return toneSelftest(pub.pc, (ms) => this.feed.tone(ms), m.seconds);
        });
      case 'echo-calibrate':
        return void this.answer(m.id, () => this.echoCalibrate());
      case 'banner':
        return this.banner.set(m.text);
      case 'card':
        return this.local.setCard(m.card);
      case 'monitor':
        return this.local.setMonitor(m.on);
      case 'still':
        return void this.answer(m.id, () => this.local.still(m.what));
      case 'reset-programme-check':
        this.checking.reset();
        return this.publishReport();
      case 'stop':
        return; // taken at once by receive()
    }
  }

  private init(cfg: MediaConfig): void {
    this.cfg = cfg;
    this.feed = new MediaFeed(cfg.denoise);
    this.room = roomPathFor(cfg, this.feed.onAudio, this.log);
    // The hall's TV banner (the floor, a call, a roll call) is drawn onto each programme frame before the sink.
    this.sink = this.banner = new BannerSink(this.room ?? this.checking);
    this.encoder = new EncoderControl(cfg, this.feed, this.room !== null, this.log);
    this.heard = new HeardTracker({ repairAfterMs: cfg.audioRepairAfterMs, newSessionAfterMs: cfg.audioNewSessionAfterMs });
    const { feed, room, log, io } = this;
    this.local = new LocalView({ cfg, feed, tv: this.banner, room, log, send: (m) => io.send(m), capturing: () => this.encoder.capturing, report: () => this.publishReport() });
    if (!this.heap.start(30000)) this.log('warn', 'media worker: started without --expose-gc; its heap will creep until V8 collects');
    this.io.send({ type: 'ready' });
  }

  private async join(meeting: Meeting, residue: string[] | undefined): Promise<void> {
    if (residue?.length) {
      // Even for a join that a leave has cancelled: a dead publisher of ours must not stay in the room.
      const failed = await dropResidue(this.cfg.signalling, residue, meeting.req.token);
      this.log(failed.length ? 'warn' : 'info', 'media: cleared what the crashed worker left on the bridge', { urls: residue.length, failed });
    }
    if (meeting.over) return;
    // An echo calibration holds the loudspeaker and mic for its last few seconds: the meeting starts after it.
    if (this.calibrating) await meeting.until(this.calibrating);
    await this.local.pause(); // the camera, mic and TV are the meeting's now
    if (this.meeting) await this.leave();
    if (meeting.over) return;
    const req = meeting.req;
    this.meeting = meeting;
    this.status = 'joining';
    this.lastError = undefined;
    this.publishReport();
    this.encoder.top(req.adaptGoodSamples ?? GOOD_SAMPLES);
    this.encoder.newSession();
    // What starts here on the box (room audio, capture) is let finish: a leave then stops it in turn. Only waits on
    // the bridge give way to a leave at once.
    await this.room?.start();
    if (req.publish !== false && !meeting.over) await this.encoder.startCapture(meeting);
    if (meeting.over) return;
    try {
      await this.openSession(meeting);
      this.status = 'joined';
      this.publishReport();
      this.io.send({ type: 'joined' });
    } catch (err) {
      if (meeting.over) return;
      this.lastError = errorToWire(err);
      this.log('warn', 'media: join failed, retrying', { err: this.lastError.message });
      this.recover(meeting, this.lastError.message, true);
    }
    meeting.every('stats', Math.max(100, req.reportMs ?? 1000), () => this.tick(meeting));
    this.publishReport();
  }

  private async leave(): Promise<void> {
    const meeting = this.meeting;
    this.meeting = null;
    // First nothing of the meeting may run any more; then its parts are stopped, and nothing starts them again.
    await meeting?.end();
    await this.session?.close();
    this.session = null;
    await this.encoder.stopCapture();
    await this.room?.stop();
    if (this.latest === null) await this.local.resume(); // no join waits behind this leave
    this.status = 'idle';
    this.heard.reset();
    this.lastStats = this.prevStats = null;
    this.publishReport();
    this.io.send({ type: 'left' });
  }

  private async openSession(meeting: Meeting): Promise<void> {
    const s = new BridgeSession(meeting.req, this.cfg, this.feed.tracks, this.sink);
    this.session = s;
    this.counters.sessions++;
    this.heard.reset();
    this.encoder.newSession();
    s.on('ice', (state: string) => {
      this.log('debug', 'media: ice', { state });
      if ((state === 'disconnected' || state === 'failed') && this.status === 'joined') this.recover(meeting, `ice ${state}`);
    });
    s.on('programme-lost', (reason: string) => void (this.session === s && this.programme.lost(reason)));
    s.on('lost', (reason: string) => {
      // During a recovery the policy sees it (BridgeSession.lost) and turns to new sessions.
      if (this.recovering) this.log('info', 'media: bridge session gone during the recovery', { reason });
      this.recover(meeting, reason, true);
    });
    await meeting.until(s.open());
    // The controller keeps this, so that our successor can clear it from the bridge if we crash.
    this.io.send({ type: 'residue', urls: s.signalling.residue() });
    await this.encoder.apply(s, meeting);
    this.programme.reset(meeting.req.programmeStaleMs);
  }

  /** Recovery (worker-recovery.ts) as the meeting's background work; one at a time. */
  private recover(meeting: Meeting, reason: string, sessionGone = false): void {
    if (this.recovering || meeting.over) return;
    this.recovering = true;
    meeting.run('recovery', async () => {
      try {
        this.status = 'recovering';
        this.log('warn', 'media: recovering', { reason });
        this.publishReport();
        const started = Date.now();
        const estimate = this.estimates.best(started);
        const back = await recoverSession(meeting, this.recoveryHost(meeting), sessionGone);
        const kbps = this.encoder.videoKbps;
        if (back.restoreEstimate && estimate && kbps !== null) void this.session?.restoreEstimate(Math.min(Math.round(estimate), kbps)).catch(() => {});
        this.status = 'joined';
        this.lastError = undefined;
        this.log('info', 'media: recovered', { ms: Date.now() - started });
        this.publishReport();
      } finally {
        this.recovering = false;
      }
    });
  }

  private recoveryHost(meeting: Meeting): RecoveryHost {
    return {
      settings: { ...RECOVERY, sessionBackoffMaxMs: this.cfg.restartBackoffMaxMs },
      session: () => this.session,
      newSession: async () => {
        await this.session?.close();
        this.session = null;
        await this.openSession(meeting);
      },
      iceRestarting: () => void this.counters.iceRestarts++,
      sessionFailed: (err, attempt) => {
        this.lastError = errorToWire(err);
        this.log('warn', 'media: new session failed', { attempt, err: this.lastError.message });
      },
      log: this.log,
    };
  }

  private async tick(meeting: Meeting): Promise<void> {
    const pub = this.session?.pub;
    await this.keepProgramme(meeting);
    if (!pub) return this.publishReport();
    const st = await meeting.until(readPublisherStats(pub.pc)).catch((err) => {
      if (isMeetingOver(err)) throw err;
      return null;
    });
    if (!st) return;
    this.prevStats = this.lastStats;
    this.lastStats = st;
    if (this.status === 'joined' && st.availableBps) this.estimates.note(st.at, st.availableBps / 1000);
    const prev = this.prevStats;
    if (prev) {
      const dt = (st.at - prev.at) / 1000;
      const bytes = st.videoBytesSent + st.audioBytesSent - prev.videoBytesSent - prev.audioBytesSent;
      this.shown.bitrateKbps = Math.max(0, Math.round((bytes * 8) / dt / 1000));
      this.shown.fps = Math.max(0, Math.round(((st.framesEncoded - prev.framesEncoded) / dt) * 10) / 10);
    }
    const action = this.heard.update({
      now: st.at,
      audio: st.audio,
      video: st.video,
      micDbfs: this.feed.takeLevelDbfs(),
      muted: this.feed.muted,
      videoActive: this.encoder.videoActive,
      bridgeAudio: this.session?.bridgeReceiving.audio,
      joined: this.status === 'joined',
    });
    if (this.status === 'joined') {
      this.encoder.step(st);
      await this.encoder.apply(this.session, meeting);
      if (action !== 'none') this.repair(meeting, action);
    }
    this.publishReport();
  }

  private repair(meeting: Meeting, action: Exclude<RepairAction, 'none'>): void {
    this.counters.repairs++;
    this.log('warn', "media: the bridge does not hear our audio: repairing", { action, seen: this.heard.seen });
    const s = this.session;
    // Deaf after a renegotiation: this session cannot be saved (its ICE is fine, so an outage's recovery would
    // find it "connected" and stop at once).
    if (action === 'new-session') return this.recover(meeting, 'audio not heard', true);
    if (s) {
      meeting.run('renegotiation', () =>
        meeting.until(s.renegotiate()).catch((err) => {
          if (isMeetingOver(err)) throw err;
          this.log('warn', 'media: renegotiation failed', { err: (err as Error).message });
        }),
      );
    }
  }

  /** Every tick: keeps the programme subscription alive, judged by what arrives on it (PROGRAMME.statsMs). */
  private async keepProgramme(meeting: Meeting): Promise<void> {
    const s = this.session;
    if (!s) return;
    const read = this.programmeFresh.due(Date.now()) ? await meeting.until(s.programmeArrivals()) : null;
    if (read) this.programmeFresh.note(read.subscription, read.arrivals);
    const wanted = meeting.req.programme !== null && (this.cfg.receiveProgramme || meeting.req.programme);
    if (s === this.session && wanted && this.status === 'joined') {
      this.programme.iceDown(s.programmeIceDownSince);
      this.programme.keep(() => s.receiveProgramme(), this.programmeFresh.lastArrivedAt, () => this.session === s, this.programmeFresh.frozenSince);
    }
  }

  /** Outside a meeting only: the trials play noise through the hall's loudspeaker and hold its mic. */
  private async echoCalibrate(): Promise<EchoCalibration> {
    if (!this.room) throw new BadRequestError("echo-calibrate: needs the hall's loudspeaker and mic (media.simulate is on)");
    if (this.status !== 'idle' || this.calibrating) throw new BadRequestError(`echo-calibrate: only outside a meeting and once at a time (media status ${this.status})`);
    const run = calibrateRoom(this.cfg.roomAudio, this.room.log);
    this.calibrating = run.catch(() => {});
    return run.finally(() => (this.calibrating = null));
  }

  /** Sends a request's result, or its error, back with the request's id. */
  private async answer(id: number, run: () => Promise<SelftestResult | EchoCalibration | StillResult>): Promise<void> {
    try {
      this.io.send({ type: 'result', id, ok: true, value: await run() });
    } catch (err) {
      this.io.send({ type: 'result', id, ok: false, error: errorToWire(err) });
    }
  }

  private publishReport(): void {
    const report: MediaReport = {
      status: this.status,
      room: this.meeting?.req.room,
      seen: this.heard.seen,
      heard: this.heard.heard,
      muted: this.feed.muted,
      audioOnly: !this.encoder.videoActive,
      stats: reportedStats(this.lastStats, this.shown, this.encoder.framesDropped),
      error: this.lastError,
    };
    this.io.send({
      type: 'report',
      report,
      extra: {
        capture: { frames: this.feed.frames, dropped: this.encoder.framesDropped, audioChunks: this.feed.audioChunks },
        framesEncoded: this.lastStats?.framesEncoded ?? 0,
        audioPackets: { sent: this.lastStats?.audio?.packetsSent ?? 0, lost: this.lastStats?.audio?.packetsLost ?? null }, heap: this.heap.report(),
        programme: this.sink.report(),
        programmeArrivals: this.programmeFresh.report(),
        ...this.encoder.extra(this.lastStats), // level, encoder
        ...this.counters, // repairs, iceRestarts, sessions
      },
    });
  }
}
