// How VISCA packets travel on the driver's port: as a plain byte stream (RS-232/RS-422) or wrapped in the VISCA over IP
// header with sequence numbers (UDP 52381). Pure: turns packets into wire bytes and wire bytes into reply packets.
// Over IP every reply carries its request's sequence number (the tag): the request layer uses it to drop replies to
// requests it has given up on. Numbering runs on across RESETs, so a late reply from an old session never takes a
// new request's number. [300H]
import { decodeReply } from './visca-protocol.js';
import { ViscaFramer } from './visca-framer.js';
import { CONTROL_RESET, decodeIp, encodeIp, nextSequence } from './visca-ip.js';

export interface ViscaTransport {
  readonly transport: 'serial' | 'udp';
  /** Wire bytes for one VISCA packet, and the tag its replies will carry (null on serial: replies carry none). */
  wrap(packet: Buffer, kind: 'command' | 'inquiry'): Wrapped;
  /** Reply packets (VISCA bytes, header .. FF) found in received bytes, each with its request's tag. */
  feed(chunk: Buffer): Received[];
  /** Drops partial input. */
  reset(): void;
  /** Bytes (or datagrams' bytes) received that were not a valid reply. */
  readonly dropped: number;
  /** Control messages seen (VISCA over IP only): ACK of RESET, or ERROR 0F yy. */
  takeControl(): Buffer[];
}

export interface Wrapped {
  bytes: Buffer;
  tag: number | null;
}

export interface Received {
  packet: Buffer;
  tag: number | null;
}

export class SerialTransport implements ViscaTransport {
  readonly transport = 'serial' as const;
  private framer = new ViscaFramer((p) => decodeReply(p) !== null);
  private lost = 0;
  wrap(packet: Buffer): Wrapped {
    return { bytes: packet, tag: null };
  }
  feed(chunk: Buffer): Received[] {
    return this.framer.push(chunk).map((packet) => ({ packet, tag: null }));
  }
  reset(): void {
    this.framer.reset();
  }
  get dropped(): number {
    return this.framer.dropped + this.lost;
  }
  takeControl(): Buffer[] {
    return [];
  }
}

export class IpTransport implements ViscaTransport {
  readonly transport = 'udp' as const;
  private sequence = 0;
  private lost = 0;
  private control: Buffer[] = [];

  /** The control RESET that starts a session: the camera then accepts any sequence number, so ours run on. [300H] */
  resetMessage(): Buffer {
    return encodeIp('control', this.sequence, CONTROL_RESET);
  }
  wrap(packet: Buffer, kind: 'command' | 'inquiry'): Wrapped {
    const tag = this.sequence;
    this.sequence = nextSequence(this.sequence);
    return { bytes: encodeIp(kind, tag, packet), tag };
  }
  feed(chunk: Buffer): Received[] {
    const m = decodeIp(chunk);
    if (m?.type === 'controlReply') {
      this.control.push(m.payload);
      return [];
    }
    if (!m || m.type !== 'reply' || decodeReply(m.payload) === null) {
      this.lost += chunk.length;
      return [];
    }
    return [{ packet: m.payload, tag: m.sequence }];
  }
  reset(): void {
    this.control = [];
  }
  get dropped(): number {
    return this.lost;
  }
  takeControl(): Buffer[] {
    const c = this.control;
    this.control = [];
    return c;
  }
}
