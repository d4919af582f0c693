// The camera's side of VISCA: reads a packet the controller sent (command, inquiry, cancel, broadcast) into data.
// Used by the simulator, and by tests to check that every encoder round-trips. Byte tables: see visca-protocol.ts.
import { DRIVE, MAX_PACKET, TERMINATOR, type ViscaCommand, type ViscaInquiry } from './visca-protocol.js';
import { PAN_SPEED_MAX, PRESET_MAX, TILT_SPEED_MAX, ZOOM_MAX, type Direction } from '../../core/commands/camera.js';

export type DecodedRequest =
  | { kind: 'command'; address: number; command: ViscaCommand }
  | { kind: 'inquiry'; address: number; inquiry: ViscaInquiry }
  | { kind: 'cancel'; address: number; socket: number }
  | { kind: 'address-set'; first: number }
  | { kind: 'if-clear-broadcast' }
  /** Addressed to us but not a request we know, or out of range: the camera answers `syntax error`. */
  | { kind: 'unknown'; address: number };

const driveByBytes = new Map<number, Direction>(
  (Object.entries(DRIVE) as Array<[Direction, [number, number]]>).map(([d, [p, t]]) => [(p << 4) | t, d]),
);

function word(b: Uint8Array, at: number, signed: boolean): number | null {
  for (let i = at; i < at + 4; i++) if (b[i] > 0x0f) return null;
  const u = (b[at] << 12) | (b[at + 1] << 8) | (b[at + 2] << 4) | b[at + 3];
  return signed && u & 0x8000 ? u - 0x10000 : u;
}

function same(m: Uint8Array, ...bytes: number[]): boolean {
  return m.length === bytes.length && bytes.every((b, i) => m[i] === b);
}

/** Message bytes (between header and FF) to a command or inquiry; null when unknown. */
function decodeBody(m: Uint8Array): { command: ViscaCommand } | { inquiry: ViscaInquiry } | null {
  if (same(m, 0x01, 0x00, 0x01)) return { command: { op: 'if-clear' } };
  if (same(m, 0x01, 0x04, 0x00, 0x02)) return { command: { op: 'power', on: true } };
  if (same(m, 0x01, 0x04, 0x00, 0x03)) return { command: { op: 'power', on: false } };
  if (same(m, 0x01, 0x06, 0x04)) return { command: { op: 'pt-home' } };
  if (same(m, 0x01, 0x04, 0x38, 0x02)) return { command: { op: 'focus-mode', mode: 'auto' } };
  if (same(m, 0x01, 0x04, 0x38, 0x03)) return { command: { op: 'focus-mode', mode: 'manual' } };
  if (same(m, 0x09, 0x04, 0x00)) return { inquiry: 'power' };
  if (same(m, 0x09, 0x04, 0x47)) return { inquiry: 'zoom-position' };
  if (same(m, 0x09, 0x04, 0x38)) return { inquiry: 'focus-mode' };
  if (same(m, 0x09, 0x06, 0x12)) return { inquiry: 'pan-tilt-position' };
  if (m.length === 4 && m[0] === 0x01 && m[1] === 0x04 && m[2] === 0x07) {
    const z = m[3];
    if (z === 0x00) return { command: { op: 'zoom', action: 'stop' } };
    if (z === 0x02) return { command: { op: 'zoom', action: 'tele' } };
    if (z === 0x03) return { command: { op: 'zoom', action: 'wide' } };
    if ((z & 0xf0) === 0x20 && (z & 0x0f) <= 7) return { command: { op: 'zoom', action: 'tele', speed: z & 0x0f } };
    if ((z & 0xf0) === 0x30 && (z & 0x0f) <= 7) return { command: { op: 'zoom', action: 'wide', speed: z & 0x0f } };
    return null;
  }
  if (m.length === 7 && m[0] === 0x01 && m[1] === 0x04 && m[2] === 0x47) {
    const position = word(m, 3, false);
    return position === null || position > ZOOM_MAX ? null : { command: { op: 'zoom-direct', position } };
  }
  if (m.length === 5 && m[0] === 0x01 && m[1] === 0x04 && m[2] === 0x3f && m[3] <= 2 && m[4] <= PRESET_MAX) {
    const action = (['reset', 'set', 'recall'] as const)[m[3]];
    return { command: { op: 'memory', action, n: m[4] } };
  }
  if (m.length === 7 && m[0] === 0x01 && m[1] === 0x06 && m[2] === 0x01) {
    const direction = driveByBytes.get((m[5] << 4) | m[6]);
    const [panSpeed, tiltSpeed] = [m[3], m[4]];
    if (!direction || panSpeed < 1 || panSpeed > PAN_SPEED_MAX || tiltSpeed < 1 || tiltSpeed > TILT_SPEED_MAX) return null;
    return { command: { op: 'pt-drive', direction, panSpeed, tiltSpeed } };
  }
  if (m.length === 13 && m[0] === 0x01 && m[1] === 0x06 && (m[2] === 0x02 || m[2] === 0x03)) {
    const speed = m[3];
    const pan = word(m, 5, true);
    const tilt = word(m, 9, true);
    if (speed < 1 || speed > PAN_SPEED_MAX || pan === null || tilt === null) return null;
    return { command: { op: m[2] === 0x02 ? 'pt-absolute' : 'pt-relative', pan, tilt, speed } };
  }
  return null;
}

/** Decodes one packet (header .. FF) sent by a controller. Null when it is not a controller packet at all. */
export function decodeRequest(p: Uint8Array): DecodedRequest | null {
  const n = p.length;
  if (n < 3 || n > MAX_PACKET || p[n - 1] !== TERMINATOR) return null;
  // Every message byte we use is 00-7Fh; one with the high bit set means the FF was lost and a new packet began.
  for (let i = 1; i < n - 1; i++) if (p[i] & 0x80) return null;
  const h = p[0];
  if (h === 0x88) {
    if (n === 4 && p[1] === 0x30 && p[2] >= 1 && p[2] <= 7) return { kind: 'address-set', first: p[2] };
    if (n === 5 && p[1] === 0x01 && p[2] === 0x00 && p[3] === 0x01) return { kind: 'if-clear-broadcast' };
    return null;
  }
  // From the controller (sender 0) to camera 1..7: header 1000 0xxx.
  if (h < 0x81 || h > 0x87) return null;
  const address = h & 0x07;
  if (n === 3 && (p[1] & 0xf0) === 0x20 && (p[1] & 0x0f) >= 1 && (p[1] & 0x0f) <= 2) {
    return { kind: 'cancel', address, socket: p[1] & 0x0f };
  }
  const body = decodeBody(p.subarray(1, n - 1));
  if (!body) return { kind: 'unknown', address };
  return 'command' in body ? { kind: 'command', address, command: body.command } : { kind: 'inquiry', address, inquiry: body.inquiry };
}
