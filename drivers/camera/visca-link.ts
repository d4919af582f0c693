// How VISCA packets travel on the driver's port: as a plain byte stream (RS-232/RS-422) or wrapped in the VISCA over IP
// header with sequence numbers (UDP 52381). Pure: turns packets into wire bytes and wire bytes into reply packets.
import { decodeReply } from './visca-protocol.js';
import { ViscaFramer } from './visca-framer.js';
import { CONTROL_RESET, decodeIp, encodeIp, nextSequence } from './visca-ip.js';

export interface ViscaLink {
  readonly transport: 'serial' | 'udp';
  /** Wire bytes for one VISCA packet. */
  wrap(packet: Buffer, kind: 'command' | 'inquiry'): Buffer;
  /** Reply packets (VISCA bytes, header .. FF) found in received bytes. */
  feed(chunk: Buffer): Buffer[];
  /** Drops partial input and starts numbering again. */
  reset(): void;
  /** Bytes (or datagrams' bytes) received that were not a valid reply. */
  readonly dropped: number;
  /** Control messages seen (VISCA over IP only): ACK of RESET, or ERROR 0F yy. */
  takeControl(): Buffer[];
}

export class SerialLink implements ViscaLink {
  readonly transport = 'serial' as const;
  private framer = new ViscaFramer((p) => decodeReply(p) !== null);
  private lost = 0;
  wrap(packet: Buffer): Buffer {
    return packet;
  }
  feed(chunk: Buffer): Buffer[] {
    return this.framer.push(chunk);
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

export class IpLink implements ViscaLink {
  readonly transport = 'udp' as const;
  private sequence = 0;
  private lost = 0;
  private control: Buffer[] = [];

  /** The control RESET that starts a session: the camera then accepts any sequence number. [300H] */
  resetMessage(): Buffer {
    this.sequence = 0;
    return encodeIp('control', 0, CONTROL_RESET);
  }
  wrap(packet: Buffer, kind: 'command' | 'inquiry'): Buffer {
    const out = encodeIp(kind, this.sequence, packet);
    this.sequence = nextSequence(this.sequence);
    return out;
  }
  feed(chunk: Buffer): Buffer[] {
    const m = decodeIp(chunk);
    if (m?.type === 'controlReply') {
      this.control.push(m.payload);
      return [];
    }
    if (!m || m.type !== 'reply' || decodeReply(m.payload) === null) {
      this.lost += chunk.length;
      return [];
    }
    return [m.payload];
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
