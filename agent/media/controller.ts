// The agent's side of the media path: runs the media worker (worker.ts) as a child process, restarts it with
// backoff when it crashes and puts the meeting back (join, mute, audio-only, quality), and offers the media
// commands. The agent wires it in with createMediaPath(cfg.media, log) (agent.ts) and publishes report(). For the
// person in front of the box it also sets the TV's card, monitors camera and mic outside a meeting (the room's
// level), and takes stills of the camera and of the TV (worker/local.ts).
import { EventEmitter } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandSpec } from '../../core/commands/define.js';
import { mediaCommandHandlers } from './command-handlers.js';
import { BadRequestError, DeviceTimeoutError, DisconnectedError, DiemcauError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { WORKER_NODE_FLAGS } from '../node-flags.js';
import type { MediaConfig } from '../../core/config/media.js';
import type { MediaPath, MediaReport, MicLevel } from './types.js';
import type { ProcessHealth } from '../../core/payloads.js';
import type { FromWorker, JoinRequest, Quality, SelftestResult, StillResult, ToWorker, WorkerExtra } from './worker/protocol.js';
import type { CardSpec } from './programme/card.js';
import type { EchoCalibration } from './room-audio/echo-calibrate.js';
import { stopChild } from '../../core/stop-child.js';

export interface MediaPathOptions {
  /** argv prefix for the worker, e.g. `['ip','netns','exec','hall']` in tests that put the hall in a namespace. */
  spawnPrefix?: string[];
  /**
   * The display name to publish under when `join` names none: the box id, so that the console finds a hall joined
   * by a group command (one command for every hall cannot name each) among the room's publishers.
   */
  display?: string;
}

/** What `join` takes: the command's arguments (bridge optional) and the worker's own fields (tests, the centre). */
type JoinArgs = Omit<JoinRequest, 'bridge'> & { bridge?: string };

export interface MediaController extends MediaPath {
  join(req: JoinArgs): Promise<MediaReport>;
  leave(): Promise<MediaReport>;
  selftest(seconds?: number): Promise<SelftestResult>;
  /** Finds this hall's echo delay (outside a meeting, on a box): see echo-calibrate.ts. */
  echoCalibrate(): Promise<EchoCalibration>;
  setQuality(max: Quality): Promise<void>;
  /** Worker-side counters (capture, programme check, adaptation level, repairs). */
  extra(): WorkerExtra;
  workerPid(): number | undefined;
  /** Restarts the programme check's counts (frames, latencies); for benches that skip a warm-up. */
  resetProgrammeCheck(): void;
  /** Worker restarts after crashes so far. */
  readonly restarts: number;
}

const WORKER = fileURLToPath(new URL('./worker/worker.js', import.meta.url));
const JOIN_WAIT_MS = 15000;
const PROGRAMME_LOG_MS = 2000;

class Controller extends EventEmitter implements MediaController {
  private proc: ChildProcess | null = null;
  private last: MediaReport = { status: 'idle', seen: false, heard: false, muted: false, audioOnly: false };
  private lastExtra: WorkerExtra = {};
  private joinReq: JoinRequest | null = null;
  private muted = false;
  private audioOnly = false;
  private quality: Quality = '720p';
  private banner: string | null = null;
  private card: CardSpec | null = null;
  private monitor = false;
  private level: MicLevel | null = null;
  private stopping = false;
  private nextId = 1;
  private results = new Map<number, (m: FromWorker) => void>();
  private restartTimer: NodeJS.Timeout | null = null;
  /** Bridge-side session of the running worker, cleared by its successor after a crash. */
  private residue: string[] = [];
  restarts = 0;
  private crashStreak = 0;
  private programmeLoggedAt = 0;
  /** The region's bridge (media.bridge): where a `join` without one goes, and where a meeting moves when it changes. */
  private bridge: string | undefined;
  /** The running worker's last reading of its own process health (null until it sends one). */
  private health: ProcessHealth | null = null;

  constructor(
    private readonly cfg: MediaConfig,
    private readonly log: Logger,
    private readonly opts: MediaPathOptions,
  ) {
    super();
    this.bridge = cfg.bridge;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.spawnWorker();
    this.restoreTv();
  }

  /** What a new worker is told again: the TV's banner and card, and whether camera and mic are monitored. */
  private restoreTv(): void {
    if (this.banner !== null) this.send({ type: 'banner', text: this.banner });
    if (this.card !== null) this.send({ type: 'card', card: this.card });
    if (this.monitor) this.send({ type: 'monitor', on: true });
  }

  private spawnWorker(): Promise<void> {
    const prefix = this.opts.spawnPrefix ?? [];
    const argv = [...prefix, process.execPath, ...WORKER_NODE_FLAGS, WORKER];
    // The worker's temp files (its capture FIFOs) go in a dir of its own, removed here when it exits however it
    // exits: a worker that crashed or was killed cannot remove them itself. Its name carries this process's pid: a dir
    // left by a process killed before it could remove it (the unit's PrivateTmp clears them on a box) names its maker.
    const tmp = mkdtempSync(join(tmpdir(), `diemcau-media-${process.pid}-`));
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, TMPDIR: tmp } });
    proc.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr = (stderr + d.toString()).slice(-2000)));
    proc.on('message', (m: FromWorker) => this.onMessage(m));
    proc.once('exit', (code, signal) => this.onExit(proc, code, signal, stderr));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new DeviceTimeoutError('media worker: no ready message within 10000 ms')), 10000);
      const onReady = (m: FromWorker) => {
        if (m.type !== 'ready') return;
        clearTimeout(t);
        proc.off('message', onReady);
        resolve();
      };
      proc.on('message', onReady);
      proc.once('exit', () => {
        clearTimeout(t);
        reject(new DisconnectedError(`media worker: exited at start: ${startFailure(stderr)}`));
      });
      this.send({ type: 'init', cfg: this.cfg });
    });
  }

  private send(m: ToWorker): void {
    if (!this.proc?.connected) throw new DisconnectedError(`media worker: not running (cannot ${m.type})`);
    this.proc.send(m);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'log') this.log[m.level](m.msg, m.fields);
    else if (m.type === 'report') {
      const before = this.last;
      this.last = m.report;
      this.lastExtra = m.extra;
      // `state` follows what an operator would notice, not every stats tick: status, seen/heard, and the numbers in
      // coarse steps (resolution, 5 fps, 100 kb/s, 1% loss, dropped frames in hundreds).
      const key = (r: MediaReport) => {
        const st = r.stats ?? {};
        const step = (v: number | undefined, by: number) => (v === undefined ? null : Math.round(v / by));
        return JSON.stringify([r.status, r.seen, r.heard, r.muted, r.audioOnly, r.error?.code, st.width, st.height,
          step(st.fps, 5), step(st.bitrateKbps, 100), step(st.lossPct, 1), step(st.framesDropped, 100)]);
      };
      if (key(before) !== key(m.report)) this.emit('change');
      this.logProgrammeCheck(m.extra);
      this.emit('report', m.report);
      if (m.report.status === 'joined') this.crashStreak = 0;
    } else if (m.type === 'result') this.results.get(m.id)?.(m);
    else if (m.type === 'residue') this.residue = m.urls;
    else if (m.type === 'level') this.level = { rmsDbfs: m.rmsDbfs, peakDbfs: m.peakDbfs, at: Date.now() };
    else if (m.type === 'health') this.health = m.health;
    else if (m.type === 'joined' || m.type === 'left') this.emit(m.type);
  }

  /**
   * A simulated hall has no TV to look at: what its programme check read from the frames' pixels (order, loss, the
   * tone) goes to the log every PROGRAMME_LOG_MS, so a test or an operator of the lab can read it from outside the
   * process (lab/agent-process.ts keeps the lines).
   */
  private logProgrammeCheck(extra: WorkerExtra): void {
    const p = extra.programme as Record<string, unknown> | undefined;
    if (!this.cfg.simulate || !p || Date.now() - this.programmeLoggedAt < PROGRAMME_LOG_MS) return;
    this.programmeLoggedAt = Date.now();
    const { frames, outOfOrder, repeats, missing, unreadable, lastCounter, audioLoudSamples, latencyP50Ms, latencyP95Ms } = p;
    this.log.info('media: programme check', { frames, outOfOrder, repeats, missing, unreadable, lastCounter, audioLoudSamples, latencyP50Ms, latencyP95Ms });
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.proc !== proc) return;
    this.proc = null;
    this.health = null;
    for (const [id, r] of this.results) r({ type: 'result', id, ok: false, error: { code: 'disconnected', message: 'media worker exited' } });
    this.results.clear();
    if (this.stopping) return;
    this.restarts++;
    const delay = Math.min(this.cfg.restartBackoffMaxMs, 250 * 2 ** this.crashStreak++);
    this.log.error('media worker crashed; restarting', { code, signal, delayMs: delay, stderr: stderr.trim().slice(-300) });
    this.last = { ...this.last, status: this.joinReq ? 'recovering' : 'idle', seen: false, heard: false };
    this.emit('change');
    this.restartTimer = setTimeout(() => void this.resume(), delay);
  }

  /** A new worker with the meeting as it was: joined room, mute, audio-only, quality. */
  private async resume(): Promise<void> {
    this.restartTimer = null;
    if (this.stopping) return;
    try {
      await this.spawnWorker();
      this.send({ type: 'mute', on: this.muted });
      this.send({ type: 'audio-only', on: this.audioOnly });
      this.send({ type: 'quality', max: this.quality });
      this.restoreTv();
      if (this.joinReq) this.send({ type: 'join', join: this.joinReq, residue: this.residue });
      this.residue = [];
    } catch (err) {
      this.log.error('media worker restart failed', { err });
    }
  }

  /**
   * Resolves when the worker reports the join done or failed (it keeps retrying a failed one by itself), or left
   * (a leave sent meanwhile cancels the join).
   */
  async join(asked: JoinArgs): Promise<MediaReport> {
    const bridge = asked.bridge ?? this.bridge;
    if (!bridge) throw new BadRequestError('join: no bridge: the command names none and media.bridge is not set in this hall\'s config');
    const display = asked.display ?? this.opts.display;
    const req: JoinRequest = { ...asked, bridge, ...(display === undefined ? {} : { display }) };
    this.joinReq = req;
    const settled = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.off('joined', done);
        this.off('left', done);
        this.off('report', onReport);
        resolve();
      };
      const onReport = (r: MediaReport) => {
        if (r.status !== 'joining' && r.error) done();
      };
      const t = setTimeout(done, JOIN_WAIT_MS);
      this.on('joined', done);
      this.on('left', done);
      this.on('report', onReport);
    });
    this.send({ type: 'join', join: req });
    await settled;
    return this.report();
  }

  /**
   * A new region bridge from the desired config. A hall in a meeting elsewhere leaves and joins the same room there;
   * resolves when the new join is done or failed (the worker keeps retrying a failed one by itself, as after any
   * join). Unset: the hall stays where it is.
   */
  async setBridge(url: string | undefined): Promise<void> {
    this.bridge = url;
    const req = this.joinReq;
    if (!url || !req || req.bridge === url) return;
    if (!this.proc?.connected) {
      // The worker is restarting after a crash: it joins the new bridge when it resumes.
      this.joinReq = { ...req, bridge: url };
      return;
    }
    this.log.info('media: moving to the region\'s new bridge', { from: req.bridge, to: url, room: req.room });
    await this.leave();
    await this.join({ ...req, bridge: url });
  }

  async leave(): Promise<MediaReport> {
    this.joinReq = null;
    const left = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      this.once('left', () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.send({ type: 'leave' });
    await left;
    return this.report();
  }

  async setMuted(on: boolean): Promise<void> {
    this.muted = on;
    this.send({ type: 'mute', on });
  }

  toggleMuted(): Promise<void> {
    return this.setMuted(!this.muted);
  }

  async setAudioOnly(on: boolean): Promise<void> {
    this.audioOnly = on;
    this.send({ type: 'audio-only', on });
  }

  setBanner(text: string | null): void {
    this.banner = text;
    // A worker that is not running gets it when it comes back (resume).
    if (this.proc?.connected) this.send({ type: 'banner', text });
  }

  setCard(card: CardSpec | null): void {
    this.card = card;
    if (this.proc?.connected) this.send({ type: 'card', card });
  }

  setMonitor(on: boolean): void {
    this.monitor = on;
    if (!on) this.level = null;
    if (this.proc?.connected) this.send({ type: 'monitor', on });
  }

  micLevel(): MicLevel | null {
    return this.level;
  }

  /** What the camera sees now, as a JPEG: refused while the meeting is private; logged with who asked. */
  async snapshot(by: string): Promise<StillResult> {
    if (this.joinReq?.private) throw new BadRequestError('camera.snapshot: the meeting is private (joined with private: true): no picture while it lasts');
    const still = (await this.request((id) => ({ type: 'still', id, what: 'camera' }))) as StillResult;
    this.log.info('camera snapshot taken', { by, bytes: still.bytes, room: this.joinReq?.room ?? null });
    return still;
  }

  /** What the hall's TV is given now (the programme with its banner, or the card), as a JPEG. */
  tvStill(): Promise<StillResult> {
    return this.request((id) => ({ type: 'still', id, what: 'tv' })) as Promise<StillResult>;
  }

  async setQuality(max: Quality): Promise<void> {
    this.quality = max;
    this.send({ type: 'quality', max });
  }

  selftest(seconds = 3): Promise<SelftestResult> {
    return this.request((id) => ({ type: 'selftest', id, seconds })) as Promise<SelftestResult>;
  }

  echoCalibrate(): Promise<EchoCalibration> {
    return this.request((id) => ({ type: 'echo-calibrate', id })) as Promise<EchoCalibration>;
  }

  /** A worker request answered by one `result` message with the same id. */
  private request(msg: (id: number) => ToWorker): Promise<SelftestResult | EchoCalibration | StillResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.results.set(id, (m) => {
        this.results.delete(id);
        if (m.type !== 'result') return;
        if (m.ok) resolve(m.value);
        else reject(new DiemcauError(m.error.code as DiemcauError['code'], m.error.message));
      });
      this.send(msg(id));
    });
  }

  report(): MediaReport {
    return { ...this.last, muted: this.muted, room: this.joinReq?.room };
  }

  extra(): WorkerExtra {
    return this.lastExtra;
  }

  workerHealth(): ProcessHealth | null {
    return this.health;
  }

  workerPid(): number | undefined {
    return this.proc?.pid;
  }

  resetProgrammeCheck(): void {
    this.send({ type: 'reset-programme-check' });
  }

  commands(): CommandSpec[] {
    return mediaCommandHandlers(this, this.cfg);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const proc = this.proc;
    if (!proc) return;
    // Asked over IPC: the worker leaves the bridge and exits itself (wrtc must exit by process.exit()).
    await stopChild(proc, () => this.send({ type: 'stop' }), 8000);
    this.proc = null;
  }
}

/** The line of a dead worker's stderr that says why (Node prints the error above its stack), else its last line. */
function startFailure(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines.at(-1) ?? 'no output';
  return why.slice(0, 300);
}

export function createMediaPath(cfg: MediaConfig, log: Logger, opts: MediaPathOptions = {}): MediaController {
  return new Controller(cfg, log, opts);
}
