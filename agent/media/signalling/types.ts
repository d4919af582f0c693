// One small interface for talking to the bridge, with two implementations: the Janus VideoRoom API (janus.ts, the
// SFU the tests run) and WHIP/WHEP (whip.ts, RFC 9725 and the WHEP draft, what most SFUs speak). The media worker
// only sees this interface; the SDP itself comes from the peer connection through a Negotiator.
import type { EventEmitter } from 'node:events';

/** The peer connection's side of an offer/answer exchange (non-trickle: SDPs carry all candidates). */
export interface Negotiator {
  /** Our offer, after ICE gathering has finished. */
  createOffer(opts?: { iceRestart?: boolean }): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  /** Answers an offer the bridge made (Janus subscribers); returns our answer after gathering. */
  answerOffer(sdp: string): Promise<string>;
}

export interface JoinOptions {
  /** Bridge API URL: Janus `http://host:8088/janus`, or the WHIP endpoint URL. */
  bridge: string;
  room: number | string;
  token?: string;
  display?: string;
}

export interface SubscribeOptions {
  /**
   * Ask the receiver to play out within this many ms (RTP playout-delay extension, which the bridge writes for
   * this subscriber; Janus rooms with `playoutdelay_ext`). Undefined: the receiver's own jitter buffer decides.
   */
  maxDelayMs?: number;
}

/** Which remote publisher to receive: its display name, or its feed id as Janus numbers it. */
export type FeedSelector = { display: string } | { feed: number | string };

/**
 * Events: 'hangup' (reason: string) when the bridge ended a PeerConnection of ours; 'lost' (err: Error) when the
 * signalling session itself is gone (the worker then starts a new session); 'media' ({publisher, type, receiving})
 * where the bridge says whether it receives a kind of media (Janus does; WHIP has no such channel).
 */
export interface Signalling extends EventEmitter {
  readonly kind: 'janus' | 'whip';
  /** Opens the session with the bridge. */
  connect(): Promise<void>;
  /** Publishes our offer and applies the bridge's answer. */
  publish(pc: Negotiator): Promise<void>;
  /** Renegotiates the published PeerConnection (tracks changed, or ICE restart). */
  republish(pc: Negotiator, opts: { iceRestart: boolean }): Promise<void>;
  /**
   * Receives a remote publisher on a second PeerConnection. Resolves when the exchange is done. One subscription at
   * a time: a new one replaces the one before, which the bridge is told to drop.
   */
  subscribe(pc: Negotiator, feed: FeedSelector, opts?: SubscribeOptions): Promise<void>;
  /** Cheap round trip to the bridge: resolves when it answers at all. Recovery waits for it before an ICE restart. */
  ping(timeoutMs: number): Promise<void>;
  /**
   * What a successor must remove if this process dies without close(): URLs of the bridge-side session (Janus) or
   * resources (WHIP). A dead publisher otherwise stays in the room until the bridge times it out.
   */
  residue(): string[];
  /** Leaves the room and closes the session; never throws. */
  close(): Promise<void>;
}
