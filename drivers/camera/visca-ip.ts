// VISCA over IP framing: pure encode/decode of the 8-byte header Sony puts before each VISCA packet on UDP 52381.
// Source: Sony SRG-300H Technical Manual, "Command List: VISCA over IP" ([300H]): header = payload type (2 bytes),
// payload length (2 bytes, 1..16), sequence number (4 bytes, big endian, wraps to 0); control command RESET 01h
// resets the sequence number and is acknowledged with 01h; ERROR 0Fyyh, yy=01 sequence number abnormal, yy=02
// message (type) abnormal. Every VISCA packet over IP is addressed to camera 1 (81 .. FF, replies 90 .. FF).
export const VISCA_IP_PORT = 52381;
export const HEADER_LENGTH = 8;
export const MAX_PAYLOAD = 16;

export const PayloadType = {
  command: 0x0100,
  inquiry: 0x0110,
  reply: 0x0111,
  deviceSetting: 0x0120,
  control: 0x0200,
  controlReply: 0x0201,
} as const;
export type PayloadTypeName = keyof typeof PayloadType;
const NAME_BY_TYPE = new Map<number, PayloadTypeName>(
  (Object.entries(PayloadType) as Array<[PayloadTypeName, number]>).map(([k, v]) => [v, k]),
);

/** Control command payloads. [300H] */
export const CONTROL_RESET = Buffer.from([0x01]);
export const CONTROL_ACK = Buffer.from([0x01]);
export const CONTROL_ERROR_SEQUENCE = Buffer.from([0x0f, 0x01]);
export const CONTROL_ERROR_MESSAGE = Buffer.from([0x0f, 0x02]);

export interface IpMessage {
  type: PayloadTypeName;
  sequence: number;
  payload: Buffer;
}

export function encodeIp(type: PayloadTypeName, sequence: number, payload: Uint8Array): Buffer {
  if (payload.length < 1 || payload.length > MAX_PAYLOAD) {
    throw new RangeError(`VISCA over IP payload of ${payload.length} bytes is outside 1..${MAX_PAYLOAD}`);
  }
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) {
    throw new RangeError(`VISCA over IP sequence number ${sequence} is outside 0..0xffffffff`);
  }
  const out = Buffer.alloc(HEADER_LENGTH + payload.length);
  out.writeUInt16BE(PayloadType[type], 0);
  out.writeUInt16BE(payload.length, 2);
  out.writeUInt32BE(sequence, 4);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** One datagram to a message; null when the header is not VISCA over IP or the length does not match. */
export function decodeIp(d: Uint8Array): IpMessage | null {
  if (d.length < HEADER_LENGTH + 1 || d.length > HEADER_LENGTH + MAX_PAYLOAD) return null;
  const type = NAME_BY_TYPE.get((d[0] << 8) | d[1]);
  const length = (d[2] << 8) | d[3];
  if (!type || length !== d.length - HEADER_LENGTH) return null;
  const sequence = ((d[4] << 24) | (d[5] << 16) | (d[6] << 8) | d[7]) >>> 0;
  return { type, sequence, payload: Buffer.from(d.subarray(HEADER_LENGTH)) };
}

/** The sequence number after `n`: it wraps to 0 after the 32-bit limit. [300H] */
export function nextSequence(n: number): number {
  return n >= 0xffffffff ? 0 : n + 1;
}
