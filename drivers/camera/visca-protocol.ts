// VISCA packets: pure encode/decode, no I/O, no timers. Used by the driver (encode commands, decode replies) and by
// the simulator (decode commands, encode replies), so both ends speak the same bytes.
//
// Byte tables, checked against:
//  [D70]  Sony EVI-D70/D70P Technical Manual, "VISCA Command/Inquiry List" and "Reply messages" (framing, address
//         set 88 30 01 FF, IF_Clear, ACK/Completion/Error, CAM_Power, CAM_Zoom, CAM_Focus, CAM_Memory, inquiries).
//  [X400] Sony SRG-X400/SRG-X120 Technical Manual, "Command List (7/8)": Pan-tiltDrive up/down/left/right/diagonals/
//         stop `8x 01 06 01 vv ww 0Y 0Z FF`, ABS/REL position (4 nibbles each), Home `8x 01 06 04 FF`.
//  [300H] Sony SRG-300H Technical Manual, "Command List": Pan-tiltPosInq `8x 09 06 12 FF`, 2 command sockets.
// Packet: header 1SSS0RRR (S sender, R receiver; controller is 0, so a command to camera x is 0x80+x, its replies
// start with 0x80+(x<<4) = `z0` with z = x+8), then 1..14 message bytes, then the terminator FF. [D70]

export const TERMINATOR = 0xff;
/** Longest packet we accept (header + 14 message bytes + FF). [D70] "Message length error (>14 bytes)". */
export const MAX_PACKET = 16;

// The ranges of the camera commands are VISCA's own; the contract (core/commands/camera.ts) holds them.
import { type Direction, PAN_SPEED_MAX, TILT_SPEED_MAX, ZOOM_SPEED_MAX, ZOOM_MAX } from '../../core/commands/camera.js';

export const DRIVE: Record<Direction, [number, number]> = {
  up: [3, 1],
  down: [3, 2],
  left: [1, 3],
  right: [2, 3],
  'up-left': [1, 1],
  'up-right': [2, 1],
  'down-left': [1, 2],
  'down-right': [2, 2],
  stop: [3, 3],
};
export type ViscaCommand =
  | { op: 'if-clear' }
  | { op: 'power'; on: boolean }
  | { op: 'pt-drive'; direction: Direction; panSpeed: number; tiltSpeed: number }
  | { op: 'pt-absolute'; pan: number; tilt: number; speed: number }
  | { op: 'pt-relative'; pan: number; tilt: number; speed: number }
  | { op: 'pt-home' }
  | { op: 'zoom'; action: 'stop' | 'tele' | 'wide'; speed?: number }
  | { op: 'zoom-direct'; position: number }
  | { op: 'focus-mode'; mode: 'auto' | 'manual' }
  | { op: 'memory'; action: 'reset' | 'set' | 'recall'; n: number };

export type ViscaInquiry = 'power' | 'pan-tilt-position' | 'zoom-position' | 'focus-mode';

export type InquiryValue =
  | { inquiry: 'power'; on: boolean }
  | { inquiry: 'pan-tilt-position'; pan: number; tilt: number }
  | { inquiry: 'zoom-position'; position: number }
  | { inquiry: 'focus-mode'; mode: 'auto' | 'manual' };

/** [D70] Error messages `z0 6y ee FF`. */
export const ERROR_NAMES: Record<number, string> = {
  0x01: 'message length error',
  0x02: 'syntax error',
  0x03: 'command buffer full',
  0x04: 'command cancelled',
  0x05: 'no socket (to be cancelled)',
  0x41: 'command not executable',
};

export type ViscaReply =
  | { kind: 'ack'; address: number; socket: number }
  | { kind: 'completion'; address: number; socket: number; data: Buffer }
  | { kind: 'error'; address: number; socket: number; code: number }
  /** Reply to the broadcast address set `88 30 0w FF`: w is one more than the last camera's address. [D70] */
  | { kind: 'address-set'; next: number }
  /** Echo of the broadcast IF_Clear. [D70] */
  | { kind: 'if-clear' }
  /** `z0 38 FF`: the camera chain changed; address set must be sent again. [D70] */
  | { kind: 'network-change'; address: number };

const hex = (n: number) => n.toString(16).padStart(2, '0');
export function hexBytes(b: Uint8Array): string {
  return Array.from(b, hex).join(' ');
}

function checkRange(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`VISCA ${name} ${v} is outside ${min}..${max}`);
}

/** A 16-bit value as four bytes 0p 0q 0r 0s (signed values in two's complement). [D70] */
function nibbles(v: number): number[] {
  const u = v & 0xffff;
  return [(u >> 12) & 0xf, (u >> 8) & 0xf, (u >> 4) & 0xf, u & 0xf];
}
function fromNibbles(b: Uint8Array, at: number, signed: boolean): number {
  const u = ((b[at] & 0xf) << 12) | ((b[at + 1] & 0xf) << 8) | ((b[at + 2] & 0xf) << 4) | (b[at + 3] & 0xf);
  return signed && u & 0x8000 ? u - 0x10000 : u;
}
function nibblesValid(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) if (b[i] > 0x0f) return false;
  return true;
}

/** Broadcast address set: every camera in the chain takes the next address. [D70] */
export const ADDRESS_SET = Buffer.from([0x88, 0x30, 0x01, 0xff]);
/** Broadcast IF_Clear: empties every camera's command buffers; each echoes it. [D70] */
export const IF_CLEAR_BROADCAST = Buffer.from([0x88, 0x01, 0x00, 0x01, 0xff]);

/** Message bytes (between header and FF) of a command. */
function commandBody(c: ViscaCommand): number[] {
  switch (c.op) {
    case 'if-clear':
      return [0x01, 0x00, 0x01];
    case 'power':
      return [0x01, 0x04, 0x00, c.on ? 0x02 : 0x03];
    case 'pt-drive': {
      checkRange('pan speed', c.panSpeed, 1, PAN_SPEED_MAX);
      checkRange('tilt speed', c.tiltSpeed, 1, TILT_SPEED_MAX);
      const [p, t] = DRIVE[c.direction];
      return [0x01, 0x06, 0x01, c.panSpeed, c.tiltSpeed, p, t];
    }
    case 'pt-absolute':
    case 'pt-relative':
      checkRange('pan-tilt speed', c.speed, 1, PAN_SPEED_MAX);
      checkRange('pan', c.pan, -0x8000, 0x7fff);
      checkRange('tilt', c.tilt, -0x8000, 0x7fff);
      // [X400] ABS/REL `8x 01 06 0(2|3) vv 00 0p 0p 0p 0p 0t 0t 0t 0t FF`; the byte after vv is the tilt speed on
      // older models [D70], so we send the same speed there: both read it right.
      return [0x01, 0x06, c.op === 'pt-absolute' ? 0x02 : 0x03, c.speed, Math.min(c.speed, TILT_SPEED_MAX), ...nibbles(c.pan), ...nibbles(c.tilt)];
    case 'pt-home':
      return [0x01, 0x06, 0x04];
    case 'zoom':
      if (c.action === 'stop') return [0x01, 0x04, 0x07, 0x00];
      if (c.speed === undefined) return [0x01, 0x04, 0x07, c.action === 'tele' ? 0x02 : 0x03];
      checkRange('zoom speed', c.speed, 0, ZOOM_SPEED_MAX);
      return [0x01, 0x04, 0x07, (c.action === 'tele' ? 0x20 : 0x30) | c.speed];
    case 'zoom-direct':
      checkRange('zoom position', c.position, 0, ZOOM_MAX);
      return [0x01, 0x04, 0x47, ...nibbles(c.position)];
    case 'focus-mode':
      return [0x01, 0x04, 0x38, c.mode === 'auto' ? 0x02 : 0x03];
    case 'memory':
      checkRange('memory number', c.n, 0, 0x7f);
      return [0x01, 0x04, 0x3f, { reset: 0, set: 1, recall: 2 }[c.action], c.n];
  }
}

const INQUIRY_BODY: Record<ViscaInquiry, number[]> = {
  power: [0x09, 0x04, 0x00], // [D70] CAM_PowerInq
  'zoom-position': [0x09, 0x04, 0x47], // [D70] CAM_ZoomPosInq
  'focus-mode': [0x09, 0x04, 0x38], // [D70] CAM_FocusModeInq
  'pan-tilt-position': [0x09, 0x06, 0x12], // [300H] Pan-tiltPosInq
};

function checkAddress(address: number): void {
  checkRange('address', address, 1, 7);
}

export function encodeCommand(address: number, c: ViscaCommand): Buffer {
  checkAddress(address);
  return Buffer.from([0x80 | address, ...commandBody(c), TERMINATOR]);
}

export function encodeInquiry(address: number, q: ViscaInquiry): Buffer {
  checkAddress(address);
  return Buffer.from([0x80 | address, ...INQUIRY_BODY[q], TERMINATOR]);
}

/** CommandCancel `8x 2p FF`: cancels the command running in socket p. [D70] */
export function encodeCancel(address: number, socket: number): Buffer {
  checkAddress(address);
  checkRange('socket', socket, 1, 2);
  return Buffer.from([0x80 | address, 0x20 | socket, TERMINATOR]);
}

/** One line naming a command, for logs and error messages: `pt-drive up` or `memory recall 3`. */
export function describeCommand(c: ViscaCommand): string {
  switch (c.op) {
    case 'power':
      return `power ${c.on ? 'on' : 'off'}`;
    case 'pt-drive':
      return `pan-tilt ${c.direction}`;
    case 'pt-absolute':
    case 'pt-relative':
      return `pan-tilt ${c.op === 'pt-absolute' ? 'absolute' : 'relative'} ${c.pan},${c.tilt}`;
    case 'pt-home':
      return 'pan-tilt home';
    case 'zoom':
      return `zoom ${c.action}`;
    case 'zoom-direct':
      return `zoom to ${c.position}`;
    case 'focus-mode':
      return `focus ${c.mode}`;
    case 'memory':
      return `preset ${c.action} ${c.n}`;
    case 'if-clear':
      return 'IF_Clear';
  }
}

/** Decodes one reply packet (header .. FF). Returns null for bytes that are not a reply we know. */
export function decodeReply(p: Uint8Array): ViscaReply | null {
  const n = p.length;
  if (n < 3 || n > MAX_PACKET || p[n - 1] !== TERMINATOR) return null;
  // Every message byte we use is 00-7Fh; one with the high bit set means the FF was lost and a new packet began.
  for (let i = 1; i < n - 1; i++) if (p[i] & 0x80) return null;
  const h = p[0];
  if (h === 0x88) {
    if (n === 4 && p[1] === 0x30 && p[2] >= 0x02 && p[2] <= 0x08) return { kind: 'address-set', next: p[2] };
    if (n === 5 && p[1] === 0x01 && p[2] === 0x00 && p[3] === 0x01) return { kind: 'if-clear' };
    return null;
  }
  // Replies come from camera x to the controller: header 1xxx0000 with x = 1..7.
  if ((h & 0x8f) !== 0x80 || h < 0x90) return null;
  const address = (h >> 4) - 8;
  const type = p[1] & 0xf0;
  const socket = p[1] & 0x0f;
  if (n === 3 && p[1] === 0x38) return { kind: 'network-change', address };
  if (type === 0x40 && n === 3) return { kind: 'ack', address, socket };
  if (type === 0x50) return { kind: 'completion', address, socket, data: Buffer.from(p.subarray(2, n - 1)) };
  if (type === 0x60 && n === 4 && ERROR_NAMES[p[2]] !== undefined) return { kind: 'error', address, socket, code: p[2] };
  return null;
}

function replyHeader(address: number): number {
  checkAddress(address);
  return (address + 8) << 4;
}

export function encodeAck(address: number, socket: number): Buffer {
  return Buffer.from([replyHeader(address), 0x40 | socket, TERMINATOR]);
}
export function encodeCompletion(address: number, socket: number, data: number[] = []): Buffer {
  return Buffer.from([replyHeader(address), 0x50 | socket, ...data, TERMINATOR]);
}
export function encodeError(address: number, socket: number, code: number): Buffer {
  return Buffer.from([replyHeader(address), 0x60 | socket, code, TERMINATOR]);
}

/** Inquiry answers `y0 50 ... FF`. [D70] power 02 on / 03 standby; focus 02 auto / 03 manual; [300H] pan-tilt. */
export function encodeInquiryReply(address: number, v: InquiryValue): Buffer {
  switch (v.inquiry) {
    case 'power':
      return encodeCompletion(address, 0, [v.on ? 0x02 : 0x03]);
    case 'focus-mode':
      return encodeCompletion(address, 0, [v.mode === 'auto' ? 0x02 : 0x03]);
    case 'zoom-position':
      return encodeCompletion(address, 0, nibbles(v.position));
    case 'pan-tilt-position':
      return encodeCompletion(address, 0, [...nibbles(v.pan), ...nibbles(v.tilt)]);
  }
}

/** The data of a `y0 50 <data> FF` inquiry reply, read as the answer to `q`; null when it does not fit. */
export function decodeInquiryReply(q: ViscaInquiry, data: Uint8Array): InquiryValue | null {
  switch (q) {
    case 'power':
      if (data.length !== 1 || (data[0] !== 2 && data[0] !== 3)) return null;
      return { inquiry: q, on: data[0] === 2 };
    case 'focus-mode':
      if (data.length !== 1 || (data[0] !== 2 && data[0] !== 3)) return null;
      return { inquiry: q, mode: data[0] === 2 ? 'auto' : 'manual' };
    case 'zoom-position':
      if (data.length !== 4 || !nibblesValid(data, 0)) return null;
      return { inquiry: q, position: fromNibbles(data, 0, false) };
    case 'pan-tilt-position':
      if (data.length !== 8 || !nibblesValid(data, 0) || !nibblesValid(data, 4)) return null;
      return { inquiry: q, pan: fromNibbles(data, 0, true), tilt: fromNibbles(data, 4, true) };
  }
}
