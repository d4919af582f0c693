// What the hall sends, as the adaptation ladder (adapt.ts) sets it: the capture process at the level's size, the
// frame stride (MediaFeed) and the video ceiling on the bridge session. Capture restarts and level changes run one
// at a time: a stats tick and a quality message must not both restart ffmpeg.
import { Capture } from '../frames/capture.js';
import type { MediaFeed } from './feed.js';
import type { BridgeSession } from './session.js';
import type { PublisherStats } from './stats.js';
import { isMeetingOver, type Meeting } from './meeting.js';
import { RECOVERY } from './recovery-policy.js';
import { AUDIO_ONLY, GOOD_SAMPLES, LADDER, levelOutput, initialAdapt, nextLevel, topLevel, type AdaptState, type LevelOutput } from './adapt.js';
import { cpuVerdict, encoderLoad, type CpuVerdict, type EncoderCounters, type EncoderLoad } from './encoder-load.js';
import type { Quality, WorkerExtra, WorkerLog } from './protocol.js';
import type { MediaConfig } from '../../../core/config/media.js';

/** Audio-only still caps the video sender, at a rate no video gets through. */
const AUDIO_ONLY_KBPS = 64;

export class EncoderControl {
  private capture: Capture | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private adapt: AdaptState = initialAdapt(0);
  private applied: LevelOutput | null = null;
  /** The encoder's counters at the last step, within one level and session (a change starts them again). */
  private counters: EncoderCounters | null = null;
  /** The last second's encoder load and the CPU's verdict on the level (encoder-load.ts), for the report. */
  cpu: (EncoderLoad & { verdict: CpuVerdict | null }) | null = null;
  /** The staff's audio-only (the panel's long press): the bottom of the ladder whatever the link. */
  forcedAudioOnly = false;
  /** The staff's cap on the top of the ladder. */
  quality: Quality = '720p';
  /** Clean samples before a step up: the meeting's (JoinRequest.adaptGoodSamples), or the ladder's own. */
  private goodSamples = GOOD_SAMPLES;

  constructor(
    private readonly cfg: MediaConfig,
    private readonly feed: MediaFeed,
    /** On a box the room audio process owns the mic, so ffmpeg opens the camera only. */
    private readonly videoOnly: boolean,
    private readonly log: WorkerLog,
  ) {}

  get videoActive(): boolean {
    return !this.forcedAudioOnly && LADDER[this.adapt.level].video;
  }

  get levelName(): string {
    return this.forcedAudioOnly ? 'audio-only (forced)' : LADDER[this.adapt.level].name;
  }

  /** The video ceiling in force (kbit/s), or null while no video is sent. */
  get videoKbps(): number | null {
    return this.applied?.video ? this.applied.kbps : null;
  }

  /** The meeting's capture runs. */
  get capturing(): boolean {
    return this.capture !== null;
  }

  get framesDropped(): number {
    return this.capture?.stats().video.dropped ?? 0;
  }

  /**
   * Back to the top of the ladder (a new meeting, or a new quality cap: taken at once, stepped down if need be).
   * `goodSamples`: a new meeting's climb (JoinRequest.adaptGoodSamples); absent, the current one stays.
   */
  top(goodSamples = this.goodSamples): void {
    this.goodSamples = goodSamples;
    this.adapt = initialAdapt(topLevel(this.quality, this.cfg.height));
  }

  /** A new session has no ceiling yet: the next apply() sets it. */
  newSession(): void {
    this.applied = null;
    this.counters = null;
  }

  /**
   * One second of the publisher's stats: the bridge's loss reports and the encoder's counters (framesEncoded,
   * totalEncodeTime): the ladder's next level (applied by apply()).
   */
  step(st: Pick<PublisherStats, 'audio' | 'video' | 'framesEncoded' | 'encodeTimeS'>): void {
    const loss = { audioLoss: st.audio?.fractionLost ?? null, videoLoss: st.video?.fractionLost ?? null };
    const produced = this.feed.frames + this.framesDropped;
    const now: EncoderCounters = { at: Date.now(), produced, encoded: st.framesEncoded, encodeTimeS: st.encodeTimeS, audioPackets: st.audio?.packetsSent ?? null };
    const load = this.counters && this.applied?.video ? encoderLoad(this.counters, now, this.cfg.fps, this.applied.stride) : null;
    this.counters = now;
    const top = topLevel(this.quality, this.cfg.height);
    const verdict = this.forcedAudioOnly ? null : cpuVerdict(load, this.adapt.level, top);
    this.cpu = load && { ...load, verdict };
    this.adapt = nextLevel(this.adapt, { ...loss, cpu: verdict }, top, this.goodSamples);
  }

  /** The report's part: the level, and the encoder's last second with libwebrtc's own view of what limits it. */
  extra(st: PublisherStats | null): Pick<WorkerExtra, 'level' | 'encoder'> {
    return { level: this.levelName, encoder: { ...this.cpu, qualityLimitation: st?.qualityLimitation ?? null } };
  }

  /** Starts capture at the current level's size, for a meeting (whose end stops restarts after a crash). */
  startCapture(meeting: Meeting): Promise<void> {
    const first = levelOutput(this.adapt.level, this.cfg, this.cfg.maxBitrateKbps);
    return this.exclusive(() => this.restartCapture(first.width, first.height, meeting));
  }

  stopCapture(): Promise<void> {
    return this.exclusive(async () => {
      await this.capture?.stop();
      this.capture = null;
    });
  }

  /**
   * The current level made real: capture size, frame stride, video ceiling on `session`. The ceiling waits behind
   * an ICE restart on the session (BridgeSession.exclusive): `meeting`'s end cuts that wait.
   */
  apply(session: BridgeSession | null, meeting: Meeting | null): Promise<void> {
    return this.exclusive(async () => {
      const level = this.forcedAudioOnly ? AUDIO_ONLY : this.adapt.level;
      const want = levelOutput(level, this.cfg, this.cfg.maxBitrateKbps);
      const capture = this.capture;
      // Audio-only keeps the capture size, so coming back costs no capture restart.
      this.feed.stride = want.video ? want.stride : 0;
      if (capture && meeting && !meeting.over && want.video && (want.width !== capture.opts.width || want.height !== capture.opts.height)) {
        await this.restartCapture(want.width, want.height, meeting);
      }
      const kbps = want.video ? want.kbps : AUDIO_ONLY_KBPS;
      if (session?.pub && this.applied?.kbps !== kbps) {
        await (meeting ? meeting.until(session.setCeiling(kbps)) : session.setCeiling(kbps)).catch((err) => {
          if (isMeetingOver(err)) throw err;
          this.log('warn', 'media: video ceiling not applied', { err: (err as Error).message });
        });
      }
      if (this.applied?.video !== want.video || this.applied?.height !== want.height || this.applied?.stride !== want.stride) {
        this.log('info', 'media: encoder level', { step: level === AUDIO_ONLY ? 'audio-only' : LADDER[level].name, ...want, cpu: this.cpu });
        this.counters = null; // a reading across the change would mix two levels (and two capture processes' counts)
      }
      this.applied = { ...want, kbps };
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** (Re)starts capture at a size; only inside exclusive(). */
  private async restartCapture(width: number, height: number, meeting: Meeting): Promise<void> {
    await this.capture?.stop();
    const { cfg, feed } = this;
    feed.width = width;
    feed.height = height;
    feed.stamp = cfg.simulate;
    const c = new Capture(
      { width, height, fps: cfg.fps, simulate: cfg.simulate, videoDevice: cfg.devices.video, videoFormat: cfg.devices.videoFormat, audioDevice: cfg.devices.audio, videoOnly: this.videoOnly },
      feed.onVideo,
      feed.onAudio,
    );
    this.capture = c;
    c.on('exit', (code, signal, stderr) => {
      this.log('error', `media: capture ended; restarting it in ${RECOVERY.captureRestartMs / 1000} s`, { code, signal, stderr });
      // A camera unplugged or a device busy: keep trying, the meeting goes on with whatever still works.
      meeting.after('capture restart', RECOVERY.captureRestartMs, () =>
        this.exclusive(async () => {
          if (this.capture === c) await this.restartCapture(width, height, meeting);
        }),
      );
    });
    c.on('error', (err: Error) => this.log('error', 'media: capture', { err: err.message }));
    await c.start();
  }
}
