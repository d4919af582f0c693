// When the worker subscribes to the central programme (again): at first, a while after a failure, and when the
// programme stopped arriving. The worker calls keep() on every stats tick while the programme is wanted.
//
// "Arriving" is judged from the programme PeerConnection's stats (ProgrammeFreshness), not from the sinks'
// callbacks: wrtc's RTCAudioSink hands over 10 ms of audio every 10 ms whether packets come or not (libwebrtc's
// jitter buffer conceals a gap with silence for as long as it lasts), so a subscription whose publisher went away,
// or whose path broke, looked alive for ever and was never renewed.

export const PROGRAMME = {
  /**
   * Nothing arrived on the subscription this long: its publisher went away or was replaced (a new feed), or the
   * path to us broke; subscribe again. Long, because the programme's own publisher may be riding out a link cut
   * on the same feed (ICE restarts for up to 20 s, RECOVERY.iceRestartWindowMs), and a new subscription then gains
   * nothing.
   */
  staleMs: 30_000,
  /**
   * Video packets keep arriving but not one frame decodes this long: the decoder is waiting for a keyframe that does
   * not come (seen beside a CPU hog: the TV's picture frozen while the programme's audio played on). A new
   * subscription makes the bridge ask the publisher for one. Doubled after each renewal that did not bring the
   * picture back, up to staleMs: a publisher that sends undecodable video is not subscribed to every few seconds.
   */
  frozenMs: 8000,
  /**
   * The subscription's ICE disconnected this long while the session is up (its publisher connected, or for a centre
   * its signalling): the bridge is reachable, so the subscription alone is broken; subscribe again.
   */
  iceDownMs: 5000,
  /** Pause after a failed subscription (no such publisher yet: the programme may start after the hall joins). */
  retryMs: 3000,
  /**
   * How often the programme PeerConnection's stats are read, at most: the stale time is 30 s, so a second is
   * plenty, and every getStats call costs wrtc a full stats collection on its threads. The hall's tick reads its
   * publisher at this rate too; a centre that reports every 100 ms still reads the programme once a second.
   */
  statsMs: 1000,
};

/** What the programme PeerConnection says has arrived on it so far (W3C webrtc-stats, inbound-rtp). */
export interface ProgrammeArrivals {
  /** When it was read (ms since epoch). */
  at: number;
  /** RTP packets received on its audio streams: Opus sends one every 20 ms, silence included (no DTX). */
  audioPackets: number;
  /** Video frames decoded (not packets: a bridge may send padding on a video stream that carries no picture). */
  framesDecoded: number;
  /**
   * Video RTP packets received and keyframe requests (PLI) sent: read for the report only. Packets arriving while no
   * frame decodes is a decoder waiting for a keyframe; no packets is a feed that carries no picture.
   */
  videoPackets?: number;
  pliSent?: number;
}

/**
 * When the programme last really arrived: a reading whose audio packets or decoded frames went up since the reading
 * before of the same PeerConnection (a new subscription's counts start from zero).
 */
export class ProgrammeFreshness {
  /** ms since epoch of the last reading that showed new programme (0: none yet). */
  lastArrivedAt = 0;
  /**
   * The current subscription's video came without a frame decoded since `since` (ms since epoch), when `pli`
   * keyframe requests had been sent; null while frames decode or no video comes.
   */
  private freeze: { since: number; pli: number } | null = null;
  private readAt = -Infinity;
  private prev: { source: object } & ProgrammeArrivals = { source: {}, at: 0, audioPackets: 0, framesDecoded: 0 };

  constructor(private readonly everyMs = PROGRAMME.statsMs) {}

  /** Whether a reading is due at `now`; a yes counts as taken, so a slow getStats is not started twice. */
  due(now: number): boolean {
    if (now - this.readAt < this.everyMs) return false;
    this.readAt = now;
    return true;
  }

  /** A reading of `source` (the subscription's PeerConnection). */
  note(source: object, r: ProgrammeArrivals): void {
    const prev: ProgrammeArrivals = this.prev.source === source ? this.prev : { at: 0, audioPackets: 0, framesDecoded: 0 };
    if (r.audioPackets > prev.audioPackets || r.framesDecoded > prev.framesDecoded) this.lastArrivedAt = Math.max(this.lastArrivedAt, r.at);
    const videoCame = (r.videoPackets ?? 0) > (prev.videoPackets ?? 0);
    if (this.prev.source !== source || r.framesDecoded > prev.framesDecoded) this.freeze = null;
    if (videoCame && r.framesDecoded === prev.framesDecoded && !this.freeze) this.freeze = { since: r.at, pli: prev.pliSent ?? 0 };
    this.prev = { source, ...r };
  }

  /**
   * Since when (ms since epoch) the picture has been frozen: video packets arriving, no frame decoded, and the
   * decoder asking for a keyframe (PLIs sent since it began); 0: not frozen. Packets alone are not enough: a
   * bridge may send padding on a stream that carries no picture, and no decoder asks for a keyframe then.
   */
  get frozenSince(): number {
    return this.freeze && (this.prev.pliSent ?? 0) > this.freeze.pli ? this.freeze.since : 0;
  }

  /** For the worker's report: the last reading's counts and when the programme last arrived. */
  report(): { audioPackets: number; framesDecoded: number; videoPackets: number; pliSent: number; lastArrivedAt: number } {
    const { audioPackets, framesDecoded, videoPackets = 0, pliSent = 0 } = this.prev;
    return { audioPackets, framesDecoded, videoPackets, pliSent, lastArrivedAt: this.lastArrivedAt };
  }
}

/**
 * When to subscribe to the programme (again): at first, 3 s after a failure, after 30 s with nothing arriving (the
 * join may set another stale time), and after 8 s of video packets with no frame decoded (then 16 s, 30 s).
 */
export class ProgrammeKeeper {
  private state: 'off' | 'subscribing' | 'on' = 'off';
  private since = 0;
  private staleMs: number;
  /** Renewals in a row for a frozen picture that did not bring it back. */
  private frozenRenewals = 0;

  private readonly ms: { stale: number; retry: number; frozen: number; iceDown: number };

  constructor(
    private readonly warn: (msg: string, fields?: Record<string, unknown>) => void,
    ms: { stale?: number; retry?: number; frozen?: number; iceDown?: number } = {},
  ) {
    this.ms = { stale: PROGRAMME.staleMs, retry: PROGRAMME.retryMs, frozen: PROGRAMME.frozenMs, iceDown: PROGRAMME.iceDownMs, ...ms };
    this.staleMs = this.ms.stale;
  }

  /**
   * A new session: nothing subscribed yet. `staleMs`: this session's stale time (the join's programmeStaleMs);
   * absent, the keeper's own.
   */
  reset(staleMs = this.ms.stale): void {
    this.state = 'off';
    this.since = 0;
    this.staleMs = staleMs;
    this.frozenRenewals = 0;
  }

  /**
   * Called every tick while the programme is wanted. `lastArrivedAt` and `frozenSince`: when the programme last
   * arrived, and since when its video has come without decoding (ProgrammeFreshness); `current` says whether the
   * session that subscribed still is.
   */
  keep(subscribe: () => Promise<void>, lastArrivedAt: number, current: () => boolean, frozenSince = 0): void {
    if (this.state === 'subscribing') return;
    const now = Date.now();
    if (this.state === 'on' && frozenSince === 0 && now - this.since > this.ms.frozen) this.frozenRenewals = 0;
    const frozenMs = Math.min(this.ms.frozen * 2 ** this.frozenRenewals, this.staleMs);
    const stale = this.state === 'on' && now - Math.max(this.since, lastArrivedAt) > this.staleMs;
    const frozen = this.state === 'on' && !stale && frozenSince > 0 && now - Math.max(this.since, frozenSince) > frozenMs;
    const retry = this.state === 'off' && now - this.since >= this.ms.retry;
    if (!stale && !frozen && !retry) return;
    if (stale) this.warn('media: programme stopped; subscribing again', { lastArrivedMsAgo: lastArrivedAt ? now - lastArrivedAt : null });
    if (frozen) {
      this.frozenRenewals++;
      this.warn('media: programme picture frozen (video arriving, no frame decoded); subscribing again', { frozenMs: now - frozenSince });
    }
    this.state = 'subscribing';
    this.since = now;
    subscribe().then(
      () => current() && this.set('on'),
      (err) => {
        if (current()) this.set('off');
        this.warn('media: programme not received', { err: (err as Error).message });
      },
    );
  }

  /**
   * The subscription is dead for sure (the bridge hung it up, its ICE failed): subscribe again on the next tick,
   * not after the stale time. One already on its way is left to finish.
   */
  lost(reason: string): void {
    if (this.state !== 'on') return;
    this.warn('media: programme subscription lost; subscribing again', { reason });
    this.state = 'off';
    this.since = Date.now() - this.ms.retry;
  }

  /** Called every tick while the session is up: `since` is when the subscription's ICE went down (0: it is up). */
  iceDown(since: number): void {
    if (since && Date.now() - since > this.ms.iceDown) this.lost(`programme ICE down ${Math.round((Date.now() - since) / 1000)} s`);
  }

  private set(state: 'off' | 'on'): void {
    this.state = state;
    this.since = Date.now();
  }
}
