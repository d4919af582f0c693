// When to try the broker again. Pure: the random source is passed in, so tests pin it.
//
// Exponential backoff with full jitter (delay = random(0, min(cap, base * 2^attempt))), never a fixed period:
// 10,000 boxes must not reconnect in lockstep. Two causes are told apart:
//  - 'link': this box's own link dropped (keepalive timeout, reset, unreachable). A quick return is right.
//  - 'mass': the broker went away for everyone (MQTT 5 DISCONNECT "server shutting down"/"server busy", the broker
//    closing every socket cleanly, or every broker refusing). The first retry is drawn over the mass window, so the
//    fleet returns at the rate the broker takes.
//
// The mass window is fleetSize / brokerConnectsPerS: N boxes drawing uniformly over N/R seconds arrive at R per
// second. Both are the carrier's figures, pushed in config: one box sees one connect per event and cannot measure
// a fleet's rate. What a box does see is the broker failing to take it (a connect that timed out, a handshake the
// broker cut, "server busy"): each such overload halves the rate this box assumes, by doubling its window, until it
// is in. A refused connect (the broker not listening yet) costs the broker nothing and changes nothing.
import type { Static } from '../../core/schema/type.js';
import type { ReconnectConfig } from '../../core/config/schema.js';

export type DropCause = 'link' | 'mass';
export type ReconnectPolicy = Static<typeof ReconnectConfig>;

/** The window (ms) the first retry after a mass event is drawn over, after `overloads` signs of an overloaded broker. */
export function massWindowMs(p: ReconnectPolicy, overloads = 0): number {
  const base = (p.massSpreadS ?? p.fleetSize / p.brokerConnectsPerS) * 1000;
  // Doubling stops at the backoff cap (or the base window, if the carrier set a longer one): a box that keeps
  // finding the broker overloaded still tries at least that often.
  return Math.min(base * 2 ** Math.min(overloads, 30), Math.max(base, p.maxMs));
}

/**
 * Delay in ms before attempt number `attempt` (0 = first retry after the drop).
 *
 * In a mass return the first retry is drawn over the window W, so the fleet arrives at the broker's rate, and a box
 * refused once (it tried before the broker was back from a restart) draws over W again and is in within W of the
 * broker's return. A box refused twice is in a longer outage, where the fleet's next tries lie evenly over their
 * gaps: when the broker returns they arrive at N / (mean gap), twice the rate for gaps drawn over W, so from then on
 * they are drawn over 2W. No backoff past that (a broker not listening yet costs nothing to ask; a longer wait only
 * makes the return longer): only the broker's signs of overload widen the window. Never below `minMs`: a small
 * fleet's window is a few milliseconds. docs/mqtt.md, "A broker crash", has the model's figures.
 */
export function reconnectDelay(attempt: number, cause: DropCause, p: ReconnectPolicy, rand: () => number, overloads = 0): number {
  if (cause === 'mass') return Math.floor(rand() * Math.max(massWindowMs(p, overloads) * (attempt >= 2 ? 2 : 1), p.minMs));
  return Math.floor(rand() * Math.min(p.maxMs, p.minMs * 2 ** Math.min(attempt, 30)));
}

/** MQTT 5 reason codes (DISCONNECT from the server, or CONNACK) that mean "the broker, not you". */
const MASS_REASONS = new Set([
  0x88, // server unavailable
  0x89, // server busy
  0x8b, // server shutting down
  0x97, // quota exceeded
  0x9c, // use another server
  0x9d, // server moved
  0x9f, // connection rate exceeded
]);

/** Of those, the ones that say "too many of you at once": the broker is up but cannot take this box now. */
const OVERLOAD_REASONS = new Set([0x89, 0x97, 0x9f]);

export function isMassReason(reasonCode: number | undefined): boolean {
  return reasonCode !== undefined && MASS_REASONS.has(reasonCode);
}

/** How a connect attempt that never reached CONNACK ended, as the link saw it. */
export interface FailedAttempt {
  /** The reason code of a CONNACK that refused us, if one came. */
  reasonCode?: number;
  /** The attempt gave up waiting (TCP, TLS handshake and CONNACK together took longer than the connect timeout). */
  timedOut: boolean;
  /** The TCP connection (and TLS handshake, for mqtts) was up, and the server closed it without a CONNACK. */
  cutByServer: boolean;
}

/**
 * Whether a failed attempt says the broker is overloaded. "Server busy", "quota exceeded" and "connection rate
 * exceeded" say so in words. During a mass return a timeout or a connection the server cut before answering (how
 * Mosquitto refuses past `max_connections`) says it too: handshakes are queueing. Outside a mass return those
 * concern this box's own link, which the ordinary backoff handles.
 */
export function isOverload(f: FailedAttempt, cause: DropCause): boolean {
  if (f.reasonCode !== undefined) return OVERLOAD_REASONS.has(f.reasonCode);
  return cause === 'mass' && (f.timedOut || f.cutByServer);
}
