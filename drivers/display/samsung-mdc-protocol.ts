// Samsung MDC (Multiple Display Control): pure frame encode/decode, no I/O, no timers.
//
// Source: Samsung "MDC Protocol" specification (v13.7c 2015 and v15.0 2020-11-06), chapter 1 "Communication
// format" and chapter 2 "Command list":
//   request : [0xAA][Command][ID][Data length][Data...][Checksum]
//   reply   : [0xAA][0xFF][ID][Data length]['A' 0x41 | 'N' 0x4E][r-CMD][Values...][Checksum]
//   checksum: sum of every byte after the header (Command .. last Data), modulo 256.
//   NAK     : [0xAA][0xFF][ID][0x03]['N'][r-CMD][ERR][Checksum], ERR being the display's own error code.
// The same framing carries requests and replies, so one parser serves the driver and the simulator.

export const MDC_HEADER = 0xaa;
/** Command byte of every reply (spec ch. 1: "Ack/Nak: 0xFF"). */
export const MDC_REPLY = 0xff;
export const MDC_ACK = 0x41; // 'A'
export const MDC_NAK = 0x4e; // 'N'
/** Largest frame: header, command, id, length, 255 data bytes, checksum. */
export const MDC_MAX_FRAME = 4 + 255 + 1;

/** Command bytes (spec ch. 2: Status Control 0x00, Power 0x11, Volume 0x12, Mute 0x13, Input Source 0x14). */
export const MdcCmd = {
  status: 0x00,
  power: 0x11,
  volume: 0x12,
  mute: 0x13,
  inputSource: 0x14,
} as const;

const CMD_NAMES: Record<number, string> = { 0x00: 'status', 0x11: 'power', 0x12: 'volume', 0x13: 'mute', 0x14: 'input' };

export function mdcCommandName(cmd: number): string {
  return CMD_NAMES[cmd] ?? `0x${hex(cmd)}`;
}

/** Input Source codes (spec ch. 2 "Input Source", 0x14). Names are ours, lower case, as in config `input`. */
export const MDC_INPUTS: Readonly<Record<string, number>> = {
  'pc': 0x14,
  'dvi': 0x18,
  'dvi-video': 0x1f,
  'av': 0x0c,
  'component': 0x08,
  'magicinfo': 0x20,
  'hdmi1': 0x21,
  'hdmi1-pc': 0x22,
  'hdmi2': 0x23,
  'hdmi2-pc': 0x24,
  'displayport1': 0x25,
  'displayport2': 0x26,
  'tv': 0x30,
  'hdmi3': 0x31,
  'hdmi3-pc': 0x32,
  'hdmi4': 0x33,
  'hdmi4-pc': 0x34,
  'hdbaset': 0x55,
};

const INPUT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(MDC_INPUTS).map(([k, v]) => [v, k]));

/** Our name for an input code; unknown codes are kept as `0xNN` so the report never lies. */
export function mdcInputName(code: number): string {
  return INPUT_NAMES[code] ?? `0x${hex(code)}`;
}

export function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Sum of bytes [start, end) modulo 256. */
export function mdcChecksum(buf: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += buf[i];
  return sum & 0xff;
}

/** One frame off the wire, checksum verified. */
export interface MdcFrame {
  cmd: number;
  id: number;
  data: Buffer;
}

export function encodeMdcFrame(cmd: number, id: number, data: ArrayLike<number> = []): Buffer {
  if (data.length > 255) throw new RangeError(`MDC frame data too long: ${data.length} bytes (max 255)`);
  const out = Buffer.alloc(5 + data.length);
  out[0] = MDC_HEADER;
  out[1] = cmd & 0xff;
  out[2] = id & 0xff;
  out[3] = data.length;
  for (let i = 0; i < data.length; i++) out[4 + i] = data[i] & 0xff;
  out[out.length - 1] = mdcChecksum(out, 1, out.length - 1);
  return out;
}

/** An ACK or NAK reply (what a display sends; the simulator uses this). */
export function encodeMdcReply(id: number, ack: boolean, rcmd: number, values: ArrayLike<number>): Buffer {
  return encodeMdcFrame(MDC_REPLY, id, [ack ? MDC_ACK : MDC_NAK, rcmd, ...Array.from(values)]);
}

export type MdcReply =
  | { kind: 'ack'; id: number; rcmd: number; values: Buffer }
  | { kind: 'nak'; id: number; rcmd: number; error: number };

/** Interprets a reply frame; returns a reason string when the frame is not a well-formed reply. */
export function decodeMdcReply(frame: MdcFrame): MdcReply | string {
  if (frame.cmd !== MDC_REPLY) return `not a reply (command 0x${hex(frame.cmd)})`;
  if (frame.data.length < 2) return `reply too short (${frame.data.length} data bytes)`;
  const [ackByte, rcmd] = frame.data;
  if (ackByte === MDC_ACK) return { kind: 'ack', id: frame.id, rcmd, values: frame.data.subarray(2) };
  if (ackByte === MDC_NAK) {
    if (frame.data.length < 3) return 'NAK without an error code';
    return { kind: 'nak', id: frame.id, rcmd, error: frame.data[2] };
  }
  return `reply is neither ACK nor NAK (0x${hex(ackByte)})`;
}

export interface MdcStatus {
  power: boolean;
  volume: number;
  mute: boolean;
  input: number;
}

/** Values of the Status Control (0x00) ACK: power, volume, mute, input, aspect, N time NF, F time NF. */
export function decodeMdcStatus(values: Buffer): MdcStatus | string {
  if (values.length < 4) return `status reply has ${values.length} values, expected at least 4`;
  return { power: values[0] === 1, volume: values[1], mute: values[2] === 1, input: values[3] };
}

/**
 * Cuts a byte stream into checksum-verified frames. After garbage or a bad checksum it drops one byte and looks
 * for the next 0xAA, so one corrupted frame costs only itself. Holds at most one frame's worth of bytes.
 */
export class MdcFrameParser {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes thrown away while resynchronising (garbage, bad checksums). */
  dropped = 0;
  /** Frames whose checksum did not match. */
  badChecksums = 0;

  push(chunk: Buffer): MdcFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: MdcFrame[] = [];
    let pos = 0;
    const b = this.buf;
    while (pos < b.length) {
      if (b[pos] !== MDC_HEADER) {
        const next = b.indexOf(MDC_HEADER, pos);
        const end = next === -1 ? b.length : next;
        this.dropped += end - pos;
        pos = end;
        continue;
      }
      const total = b.length - pos < 4 ? Infinity : 5 + b[pos + 3];
      if (b.length - pos < total) {
        // Incomplete: maybe a real frame, maybe a stray 0xAA with a large bogus length. If a complete, valid
        // frame starts further on, the stray was garbage: skip to it instead of waiting for bytes that never come.
        const later = this.completeFrameAfter(b, pos + 1);
        if (later === -1) break;
        this.dropped += later - pos;
        pos = later;
        continue;
      }
      const sum = mdcChecksum(b, pos + 1, pos + total - 1);
      if (sum !== b[pos + total - 1]) {
        this.badChecksums++;
        this.dropped++;
        pos++;
        continue;
      }
      frames.push({ cmd: b[pos + 1], id: b[pos + 2], data: Buffer.from(b.subarray(pos + 4, pos + total - 1)) });
      pos += total;
    }
    this.buf = pos >= b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(pos));
    return frames;
  }

  private completeFrameAfter(b: Buffer, from: number): number {
    for (let q = b.indexOf(MDC_HEADER, from); q !== -1; q = b.indexOf(MDC_HEADER, q + 1)) {
      if (b.length - q < 5) return -1;
      const total = 5 + b[q + 3];
      if (b.length - q >= total && mdcChecksum(b, q + 1, q + total - 1) === b[q + total - 1]) return q;
    }
    return -1;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
  }
}
