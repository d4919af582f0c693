// When to try the broker again. Pure: the random source is passed in, so tests pin it.
//
// Exponential backoff with full jitter (delay = random(0, min(cap, base * 2^attempt))), never a fixed period:
// 10,000 boxes must not reconnect in lockstep. Two causes are told apart:
//  - 'link': this box's own link dropped (keepalive timeout, reset, unreachable). A quick return is right.
//  - 'mass': the broker went away for everyone (MQTT 5 DISCONNECT "server shutting down"/"server busy", the broker
//    closing every socket cleanly, or every broker refusing). The first retry is spread over `massSpreadS`, so the
//    fleet returns at an even rate the broker can take.
import type { Static } from '../../core/schema/type.js';
import type { ReconnectConfig } from '../../core/config/schema.js';

export type DropCause = 'link' | 'mass';
export type ReconnectPolicy = Static<typeof ReconnectConfig>;

/** Delay in ms before attempt number `attempt` (0 = first retry after the drop). */
export function reconnectDelay(attempt: number, cause: DropCause, p: ReconnectPolicy, rand: () => number): number {
  const exp = Math.min(p.maxMs, p.minMs * 2 ** Math.min(attempt, 30));
  const ceiling = cause === 'mass' ? Math.max(exp, p.massSpreadS * 1000) : exp;
  return Math.floor(rand() * ceiling);
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

export function isMassReason(reasonCode: number | undefined): boolean {
  return reasonCode !== undefined && MASS_REASONS.has(reasonCode);
}
