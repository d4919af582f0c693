// Carries out the recovery policy (recovery-policy.ts) against the worker's bridge session: asks the policy what to
// do, does it (ping, ICE restart, new session, or wait), notes how it went, and asks again, until the policy says
// the session is back. Every wait belongs to the meeting, so a leave ends a recovery at once.
import { decideRecovery, type RecoveryObservations, type RecoverySettings } from './recovery-policy.js';
import type { BridgeSession } from './session.js';
import { isMeetingOver, type Meeting } from './meeting.js';
import type { WorkerLog } from './protocol.js';

export interface RecoveryHost {
  readonly settings: RecoverySettings;
  /** The session being recovered (it changes when a new one is made). */
  session(): BridgeSession | null;
  /** Closes the session and opens a new one for the meeting; rejects with what the opening failed on. */
  newSession(): Promise<void>;
  /** An ICE restart is being tried (counted in the report). */
  iceRestarting(): void;
  /** New session number `attempt` (from 0) failed to open (the report carries the error). */
  sessionFailed(err: unknown, attempt: number): void;
  log: WorkerLog;
}

/** The session is up: what "recovered" means (RecoveryObservations.connected). */
export function sessionUp(s: BridgeSession | null): boolean {
  if (!s) return false;
  if (!s.pub) return s.opened;
  const st = s.pub.pc.iceConnectionState;
  return st === 'connected' || st === 'completed';
}

/** Resolves once the session is back, with the policy's word on restoring the bandwidth estimate. */
export async function recoverSession(meeting: Meeting, host: RecoveryHost, sessionGone: boolean): Promise<{ restoreEstimate: boolean }> {
  const o: RecoveryObservations = { since: Date.now(), sessionGone, connected: false, sessions: 0, last: null, jitter: Math.random() };
  for (;;) {
    // The bridge may say that the session is gone while ICE restarts are being tried (a 458 to a ping).
    o.sessionGone ||= o.sessions === 0 && host.session()?.lost === true;
    o.connected = sessionUp(host.session());
    const d = decideRecovery(o, Date.now(), host.settings);
    if (d.do === 'recovered') return { restoreEstimate: d.restoreEstimate };
    if (d.do === 'wait') {
      await meeting.sleep(d.ms);
      continue;
    }
    let ok = true;
    if (d.do === 'ping') {
      ok = await meeting.until(host.session()!.ping(d.timeoutMs)).then(() => true, rethrowOver);
    } else if (d.do === 'ice-restart') {
      host.iceRestarting();
      host.log('debug', 'media: bridge reachable, restarting ICE');
      ok = await meeting.until(host.session()!.iceRestart()).then(
        () => (host.log('debug', 'media: ICE restart negotiated'), true),
        (err) => (rethrowOver(err), host.log('debug', 'media: ICE restart failed', { err: (err as Error).message }), false),
      );
    } else {
      o.sessions++;
      ok = await meeting.until(host.newSession()).then(
        () => true,
        (err) => (rethrowOver(err), host.sessionFailed(err, o.sessions - 1), false),
      );
      o.jitter = Math.random();
    }
    o.last = { step: d.do, ok, at: Date.now() };
  }
}

/** A failed step is an observation; the meeting's end is not, it ends the recovery. */
function rethrowOver(err: unknown): false {
  if (isMeetingOver(err)) throw err;
  return false;
}
