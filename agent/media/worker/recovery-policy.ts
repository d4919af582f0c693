// When and how the media worker gets its session with the bridge back (docs/media.md "Recovery"): first ICE
// restarts on the same session, then new sessions with backoff. Pure: a function of what the worker observed since
// the outage began and of the time, so every timing is a named setting below and the policy is tested on a stepped
// clock (test/media/recovery-policy.test.ts). The worker (worker-recovery.ts) carries the decisions out.

export const RECOVERY = {
  /**
   * ICE `disconnected` often heals by itself within a second (consent checks resume, RFC 7675 §5.1): look again
   * before restarting ICE, which costs the bridge an offer/answer and the centre a keyframe.
   */
  settleMs: 500,
  /**
   * How long ICE restarts are tried on the same session after the outage began. A restart keeps the hall's place
   * in the room and the centre's subscription; a new session costs both. 20 s covers the link cuts seen on the
   * halls' lines (a DSL resync, a router reboot is longer), and is well inside the bridge's session timeout
   * (Janus: 60 s), so the session is still there to restart.
   */
  iceRestartWindowMs: 20_000,
  /** Ping timeout: a bridge that does not answer a keepalive within a second is not reachable for an offer either. */
  pingTimeoutMs: 1000,
  /**
   * Pause between pings while the bridge does not answer: a returning link is used within a quarter second, and
   * four requests a second are nothing to the bridge. Offers made while the link is down are wasted: hence pings.
   */
  pingIntervalMs: 250,
  /** Pause after an ICE restart exchange failed (the link went again, or the bridge refused) before pinging again. */
  iceRestartRetryMs: 250,
  /**
   * After an ICE restart was negotiated, how long ICE may take to connect before the next ping and restart. The
   * checks take a few round trips; 2 s leaves room for several STUN retransmissions on a lossy link.
   */
  iceConnectWaitMs: 2000,
  /** A new session: how long its ICE and DTLS may take to connect before the attempt counts as failed. */
  sessionConnectWaitMs: 5000,
  /**
   * How often the connection is looked at while waiting: it adds at most this to a recovery and costs one
   * property read.
   */
  pollMs: 100,
  /**
   * Backoff before the first new session is retried; it doubles per attempt, with full jitter (a random share of
   * it), so halls cut by one outage do not all come back at the same moment (as agent/mqtt/backoff.ts for the
   * broker).
   */
  sessionBackoffBaseMs: 500,
  /** Backoff ceiling; the worker takes it from `media.restartBackoffMaxMs` (this is that setting's default). */
  sessionBackoffMaxMs: 10_000,
  /** Capture restart after ffmpeg died (a camera unplugged, a device busy): quick, but no spin on a dead device. */
  captureRestartMs: 2000,
};

export type RecoverySettings = typeof RECOVERY;

export type RecoveryStep = 'ping' | 'ice-restart' | 'new-session';

export interface RecoveryObservations {
  /** When the outage began (ms, the same clock as `now`). */
  since: number;
  /**
   * The session cannot be saved: the bridge hung up on us, the signalling session is gone, the join failed, or the
   * bridge does not hear our audio on it even after a renegotiation (heard.ts). Then no ICE restarts.
   */
  sessionGone: boolean;
  /**
   * The current session is up: its publishing PeerConnection's ICE is connected (or completed), or, when it
   * publishes nothing (a receive-only centre), its signalling session is open.
   */
  connected: boolean;
  /** New sessions made since the outage began. */
  sessions: number;
  /** The last step taken, whether it worked and when it ended; null before the first. */
  last: { step: RecoveryStep; ok: boolean; at: number } | null;
  /** A number in [0, 1), drawn anew after each new session: the jitter share of the backoff that follows it. */
  jitter: number;
}

export type RecoveryDecision =
  /** Back. `restoreEstimate`: the same session came back, so its bandwidth estimate restarts from before (adapt.ts). */
  | { do: 'recovered'; restoreEstimate: boolean }
  /** Nothing to do yet: look again in `ms`. */
  | { do: 'wait'; ms: number }
  /** Ask the bridge whether it answers at all, with this timeout. */
  | { do: 'ping'; timeoutMs: number }
  | { do: 'ice-restart' }
  /** Close the session and open a new one. */
  | { do: 'new-session' };

/** What to do at `now`. Waits are cut to `pollMs`, so a connection that comes back on its own is noticed soon. */
export function decideRecovery(o: RecoveryObservations, now: number, s: RecoverySettings = RECOVERY): RecoveryDecision {
  // A session that cannot be saved may still have ICE up (the bridge hung up; deaf audio): only a new one counts.
  const counts = o.sessions > 0 || !o.sessionGone;
  if (o.connected && counts) return { do: 'recovered', restoreEstimate: o.sessions === 0 };
  const at = (t: number, then: RecoveryDecision): RecoveryDecision => (now < t ? { do: 'wait', ms: Math.min(s.pollMs, t - now) } : then);
  const last = o.last;
  if (!o.sessionGone && o.sessions === 0) {
    // The same session: ping until the bridge answers, then restart ICE; until the window closes. The window is
    // looked at before each ping only: a restart under way is given its time.
    const pingOrGiveUp: RecoveryDecision = now - o.since < s.iceRestartWindowMs ? { do: 'ping', timeoutMs: s.pingTimeoutMs } : { do: 'new-session' };
    if (!last) return at(o.since + s.settleMs, pingOrGiveUp);
    if (last.step === 'ping') return last.ok ? { do: 'ice-restart' } : at(last.at + s.pingIntervalMs, pingOrGiveUp);
    if (last.step === 'ice-restart') return at(last.at + (last.ok ? s.iceConnectWaitMs : s.iceRestartRetryMs), pingOrGiveUp);
  }
  // New sessions, until one connects; the first at once.
  if (last?.step !== 'new-session') return { do: 'new-session' };
  const failedAt = last.ok ? last.at + s.sessionConnectWaitMs : last.at;
  const backoff = o.jitter * Math.min(s.sessionBackoffMaxMs, s.sessionBackoffBaseMs * 2 ** Math.max(0, o.sessions - 1));
  return at(failedAt + backoff, { do: 'new-session' });
}
