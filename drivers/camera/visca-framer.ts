// Splits a VISCA byte stream (serial) into packets. Pure: no I/O, no timers. After garbage, a truncated packet or a
// packet the validator rejects, it resynchronises on the next byte with the high bit set (a VISCA header is
// 1xxxxxxx and only the terminator FF also has it; [D70] "Packet structure"), so one bad byte costs one packet at most.
import { MAX_PACKET, TERMINATOR } from './visca-protocol.js';

export class ViscaFramer {
  /** Bytes thrown away since construction: garbage, truncated or invalid packets. */
  dropped = 0;
  private rest: Buffer = Buffer.alloc(0);
  private readonly valid: (packet: Uint8Array) => boolean;

  /** `valid` says whether a header..FF candidate is a packet this end understands (decodeReply / decodeRequest). */
  constructor(valid: (packet: Uint8Array) => boolean) {
    this.valid = valid;
  }

  /** Feeds bytes; returns every complete valid packet, in order (each a copy). */
  push(chunk: Uint8Array): Buffer[] {
    const buf = this.rest.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.rest, chunk]);
    const out: Buffer[] = [];
    const n = buf.length;
    let i = 0;
    while (i < n) {
      const b = buf[i];
      if ((b & 0x80) === 0 || b === TERMINATOR) {
        i++;
        this.dropped++;
        continue;
      }
      const limit = Math.min(n, i + MAX_PACKET);
      let j = i + 1;
      while (j < limit && buf[j] !== TERMINATOR) j++;
      if (j >= limit) {
        if (n - i < MAX_PACKET) break; // the rest of a packet may still come
        i++; // too long for a packet: this was not a header
        this.dropped++;
        continue;
      }
      const candidate = buf.subarray(i, j + 1);
      if (this.valid(candidate)) {
        out.push(Buffer.from(candidate));
        i = j + 1;
      } else {
        i++;
        this.dropped++;
      }
    }
    this.rest = i < n ? Buffer.from(buf.subarray(i)) : Buffer.alloc(0);
    return out;
  }

  /** Drops a half-received packet (after a timeout: what is left of it will never be completed). */
  reset(): void {
    this.dropped += this.rest.length;
    this.rest = Buffer.alloc(0);
  }

  /** Bytes held back as the start of a packet not yet complete. */
  get pending(): number {
    return this.rest.length;
  }
}
