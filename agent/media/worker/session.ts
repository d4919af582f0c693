// One session with the bridge: the signalling session, the publishing PeerConnection and the programme
// subscription. The worker makes a new one to recover from what an ICE restart cannot fix (issue 5: "ICE restart,
// then a new session, with backoff"). Events: 'ice' (state) of the publishing PeerConnection; 'lost' (reason)
// when the bridge hung up on us or the signalling session is gone; 'programme-lost' (reason) when the bridge hung
// up the programme subscription or its ICE failed, which only a new subscription mends.
import { EventEmitter } from 'node:events';
import type { JoinRequest } from './protocol.js';
import type { Signalling } from '../signalling/types.js';
import { createSignalling } from '../signalling/create.js';
import { negotiator, newPeerConnection, newPublisher, setVideoRates, type Publisher } from './peer.js';
import { attachProgramme, type ProgrammeSink } from './programme.js';
import { readProgrammeArrivals } from './stats.js';
import type { ProgrammeArrivals } from './programme-keeper.js';
import type { MediaConfig } from '../../../core/config/media.js';
import { DisconnectedError } from '../../../core/errors.js';

export class BridgeSession extends EventEmitter {
  readonly signalling: Signalling;
  pub: Publisher | null = null;
  private sub: RTCPeerConnection | null = null;
  private stopSinks: (() => void) | null = null;
  private closed = false;
  private isOpen = false;
  private isLost = false;
  /** Since when (ms since epoch) the programme subscription's ICE has been disconnected or failed; 0: it is not. */
  programmeIceDownSince = 0;
  /** Rejects when close() is called: an open() under way gives up at once (a leave during a join). */
  private readonly whenClosed: Promise<never>;
  private rejectClosed!: (err: Error) => void;
  /** Offer/answer exchanges one at a time: a ceiling change must not cross an ICE restart. */
  private chain: Promise<unknown> = Promise.resolve();
  private ceiling: number | null = null;
  private lastStartKbps = 0;
  /** What the bridge last said it receives from us, per kind (Janus `media` events); null: it has not said. */
  readonly bridgeReceiving: { audio: boolean | null; video: boolean | null } = { audio: null, video: null };

  constructor(
    private readonly join: JoinRequest,
    private readonly cfg: MediaConfig,
    private readonly tracks: { audio: MediaStreamTrack; video: MediaStreamTrack },
    private readonly sink: ProgrammeSink | null,
  ) {
    super();
    this.whenClosed = new Promise<never>((_, reject) => (this.rejectClosed = reject));
    this.whenClosed.catch(() => {});
    this.signalling = createSignalling(cfg.signalling, join);
    this.signalling.on('hangup', (reason: string) => {
      if (reason.startsWith('publisher')) this.gone(`bridge hung up: ${reason}`);
      else if (!this.closed) this.emit('programme-lost', `bridge hung up: ${reason}`);
    });
    this.signalling.on('media', (m: { publisher: boolean; type: string; receiving: boolean }) => {
      if (m.publisher && (m.type === 'audio' || m.type === 'video')) this.bridgeReceiving[m.type] = m.receiving;
    });
    this.signalling.on('lost', (err: Error) => this.gone(err.message));
  }

  /** The bridge hung up on us or the signalling session is gone: only a new session helps. */
  get lost(): boolean {
    return this.isLost;
  }

  private gone(reason: string): void {
    if (this.closed) return;
    this.isLost = true;
    this.emit('lost', reason);
  }

  /** Opened and not closed since. */
  get opened(): boolean {
    return this.isOpen && !this.closed;
  }

  /**
   * Opens the signalling session and publishes. A close() meanwhile makes it fail at once rather than wait for the
   * bridge; what the bridge still grants afterwards the signalling gives back (a late Janus session is destroyed,
   * a late WHIP resource deleted).
   */
  async open(): Promise<void> {
    await Promise.race([this.opening(), this.whenClosed]);
    this.isOpen = true;
  }

  private async opening(): Promise<void> {
    await this.signalling.connect();
    if (this.closed) return;
    if (this.join.publish !== false) {
      const pub = newPublisher(this.tracks.audio, this.tracks.video);
      this.pub = pub;
      pub.pc.addEventListener('iceconnectionstatechange', () => {
        if (!this.closed) this.emit('ice', pub.pc.iceConnectionState);
      });
      await this.signalling.publish(negotiator(pub.pc));
    }
  }

  /** Receives the programme on a second PeerConnection; the caller decides whether a failure matters. */
  async receiveProgramme(): Promise<void> {
    const sel = this.join.programme === undefined ? { display: this.cfg.programme } : this.join.programme;
    if (!sel || !this.sink || this.closed) return;
    // A new subscription replaces the old one (the programme's publisher went away and came back).
    this.stopSinks?.();
    this.sub?.close();
    const pc = newPeerConnection();
    this.sub = pc;
    this.programmeIceDownSince = 0;
    pc.addEventListener('iceconnectionstatechange', () => {
      if (this.sub !== pc || this.closed) return;
      const state = pc.iceConnectionState;
      if (state === 'disconnected' || state === 'failed') this.programmeIceDownSince ||= Date.now();
      else this.programmeIceDownSince = 0;
      if (state === 'failed') this.emit('programme-lost', 'programme ICE failed');
    });
    this.stopSinks = attachProgramme(pc, this.sink);
    if (this.signalling.kind === 'whip') {
      // WHEP: we offer, so the receive-only m-lines must exist before the offer.
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    await this.signalling.subscribe(negotiator(pc), sel, { maxDelayMs: this.join.programmeMaxDelayMs });
  }

  /**
   * What has arrived on the current programme subscription, and which one it is; null: none, or it was closed
   * during the reading (renewed, or the session closed), so the next reading counts.
   */
  async programmeArrivals(): Promise<{ subscription: object; arrivals: ProgrammeArrivals } | null> {
    const pc = this.sub;
    if (!pc || this.closed) return null;
    const arrivals = await readProgrammeArrivals(pc).catch(() => null);
    return arrivals && { subscription: pc, arrivals };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** A failed exchange leaves our offer applied: roll it back so that the old ICE session keeps working. */
  private async rollback(): Promise<void> {
    const pc = this.pub?.pc;
    if (pc && pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
  }

  ping(timeoutMs: number): Promise<void> {
    return this.signalling.ping(timeoutMs);
  }

  iceRestart(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.pub) return;
      try {
        await this.signalling.republish(negotiator(this.pub.pc), { iceRestart: true });
      } catch (err) {
        await this.rollback();
        throw err;
      }
      // The bridge's new answer has no b=AS: put the ceiling back.
      if (this.ceiling !== null) await setVideoRates(this.pub.pc, this.ceiling);
    });
  }

  renegotiate(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.pub) return;
      try {
        await this.signalling.republish(negotiator(this.pub.pc), { iceRestart: false });
      } catch (err) {
        await this.rollback();
        throw err;
      }
      if (this.ceiling !== null) await setVideoRates(this.pub.pc, this.ceiling);
    });
  }

  /** Video bitrate ceiling in kbit/s (null: none). */
  setCeiling(kbps: number | null): Promise<void> {
    return this.exclusive(async () => {
      this.ceiling = kbps;
      if (this.pub) await setVideoRates(this.pub.pc, kbps);
    });
  }

  /**
   * After an outage on the same session: restart the bandwidth estimate from `kbps` (what it was before). The loss
   * the bridge reports for the outage otherwise cuts it to libwebrtc's floor (30 kbit/s), and video would crawl
   * back at a few percent a second, at one or two frames a second, for most of a minute.
   */
  restoreEstimate(kbps: number): Promise<void> {
    return this.exclusive(async () => {
      if (!this.pub) return;
      // libwebrtc restarts only on a value that differs from the last one.
      const start = kbps === this.lastStartKbps ? kbps - 1 : kbps;
      this.lastStartKbps = start;
      await setVideoRates(this.pub.pc, this.ceiling, start);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectClosed(new DisconnectedError('media: bridge session closed'));
    await this.signalling.close();
    this.stopSinks?.();
    this.sub?.close();
    this.pub?.close();
    this.sub = null;
    this.pub = null;
  }
}
