// A simulated VISCA camera at the other end of a real byte port (pty) or a real UDP socket (VISCA over IP). It answers
// the bytes a Sony head does ([D70] reply rules, [300H] two command sockets and the IP header): ACK then Completion
// per socket, buffer full when both sockets are busy, cancel, IF_Clear, address set, inquiries, and error replies.
// Knobs in `faults` make it misbehave the ways cameras do in halls: silence, garbage, truncation, late or error replies.
import { EventEmitter } from 'node:events';
import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import type { BytePort } from '../port.js';
import { encodeAck, encodeCompletion, encodeError, encodeInquiryReply, type ViscaCommand } from './visca-protocol.js';
import { decodeRequest } from './visca-request-decode.js';
import { ViscaFramer } from './visca-framer.js';
import { CONTROL_ACK, CONTROL_ERROR_MESSAGE, CONTROL_ERROR_SEQUENCE, decodeIp, encodeIp } from './visca-ip.js';
import { CameraModel } from './visca-sim-model.js';

export interface SimFaults {
  /** Answer nothing at all. */
  silent: boolean;
  /** 'prefix': random bytes before every reply; 'only': random bytes instead of replies. */
  garbage: 'none' | 'prefix' | 'only';
  /** Cut the last byte (the FF) off every reply. */
  truncate: boolean;
  /** Delay every reply by this many ms. */
  lateMs: number;
  /** Answer every command (not inquiries) with this VISCA error code, e.g. 0x41. */
  errorCode: number | null;
  /** ACK commands but never send their Completion (a head that hangs mid-move). */
  noCompletion: boolean;
  /** Carry out the next N requests but lose every reply to them (a noisy line). */
  dropReplies: number;
}

const NO_FAULTS: SimFaults = { silent: false, garbage: 'none', truncate: false, lateMs: 0, errorCode: null, noCompletion: false, dropReplies: 0 };

/** Positioning commands stop when a new pan/tilt command arrives; drives complete at once. */
const PAN_TILT_OPS = new Set<ViscaCommand['op']>(['pt-drive', 'pt-absolute', 'pt-relative', 'pt-home', 'memory']);

interface Busy {
  command: ViscaCommand;
  timer: NodeJS.Timeout | null;
}

type Send = (reply: Buffer) => void;

export class ViscaSim extends EventEmitter {
  readonly model = new CameraModel();
  faults: SimFaults = { ...NO_FAULTS };
  /** Camera address: 1 until an address set says otherwise. Over IP it is always 1. [300H] */
  address = 1;
  /** Requests received (decoded or not), for tests and the bench. */
  received = 0;
  /** Address-set broadcasts seen. */
  addressSets = 0;
  private serialSend: Send | null = null;
  private readonly sockets: Array<Busy | null> = [null, null, null]; // index 1 and 2 used
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly clock: () => number;
  private detachers: Array<() => void> = [];
  private readonly expected = new Map<string, number | null>();

  constructor(clock: () => number = () => performance.now()) {
    super();
    this.clock = clock;
  }

  resetFaults(): void {
    this.faults = { ...NO_FAULTS };
  }

  /** Serves VISCA over a byte stream (RS-232 through a pty). */
  attachPort(port: BytePort): void {
    const framer = new ViscaFramer((p) => decodeRequest(p) !== null);
    const send: Send = (r) => void port.write(r).catch(() => {});
    const onData = (chunk: Buffer) => {
      for (const packet of framer.push(chunk)) this.handle(packet, send);
    };
    port.on('data', onData);
    this.serialSend = send;
    this.detachers.push(() => {
      port.off('data', onData);
      this.serialSend = null;
    });
  }

  /** Serves VISCA over IP on a bound UDP socket: one datagram per message, replies to the sender. [300H] */
  attachUdp(sock: UdpSocket): void {
    // Per controller (address:port): the next sequence number we accept, or null after RESET (accept any).
    const expected = this.expected;
    const onMessage = (d: Buffer, from: RemoteInfo) => {
      const key = `${from.address}:${from.port}`;
      const reply = (type: 'reply' | 'controlReply', seq: number, payload: Buffer) =>
        sock.send(encodeIp(type, seq, payload), from.port, from.address);
      const m = decodeIp(d);
      this.received++;
      if (!m) return; // not VISCA over IP at all: a real camera drops it
      if (m.type === 'control') {
        if (m.payload.length === 1 && m.payload[0] === 0x01) {
          expected.set(key, null);
          this.later(() => reply('controlReply', m.sequence, CONTROL_ACK));
        } else this.later(() => reply('controlReply', m.sequence, CONTROL_ERROR_MESSAGE));
        return;
      }
      if (m.type !== 'command' && m.type !== 'inquiry') {
        this.later(() => reply('controlReply', m.sequence, CONTROL_ERROR_MESSAGE));
        return;
      }
      const want = expected.get(key);
      if (want !== undefined && want !== null && m.sequence < want) {
        this.later(() => reply('controlReply', m.sequence, CONTROL_ERROR_SEQUENCE));
        return;
      }
      expected.set(key, m.sequence + 1);
      const req = decodeRequest(m.payload);
      const isInquiry = req?.kind === 'inquiry';
      if (req && (isInquiry ? m.type !== 'inquiry' : m.type !== 'command')) {
        this.later(() => reply('controlReply', m.sequence, CONTROL_ERROR_MESSAGE));
        return;
      }
      this.handle(m.payload, (r) => reply('reply', m.sequence, r), false);
    };
    sock.on('message', onMessage);
    this.detachers.push(() => sock.off('message', onMessage));
  }

  /** Stops serving and cancels every pending reply. */
  detach(): void {
    for (const d of this.detachers) d();
    this.detachers = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (let s = 1; s <= 2; s++) this.sockets[s] = null;
  }

  /** Sends Network Change `z0 38 FF`, as a camera does when it powers up on a chain. [D70] (serial only) */
  networkChange(): void {
    this.serialSend?.(Buffer.from([(this.address + 8) << 4, 0x38, 0xff]));
  }

  /** Fault: the camera believes it has seen sequence numbers `by` past every controller's (as after another
   *  controller used the same address and port): their next messages get ERROR 0F01h until they RESET. */
  sequenceAhead(by: number): void {
    for (const [k, v] of this.expected) this.expected.set(k, (v ?? 0) + by);
  }

  /** Sockets holding a running command, for tests. */
  busySockets(): number[] {
    return [1, 2].filter((s) => this.sockets[s] !== null);
  }

  private later(fn: () => void, extraMs = 0): void {
    const ms = this.faults.lateMs + extraMs;
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private out(send: Send, reply: Buffer, serial: boolean): void {
    const f = this.faults;
    if (f.silent) return;
    const junk = () => Buffer.from(Array.from({ length: 3 + Math.floor(Math.random() * 6) }, () => Math.floor(Math.random() * 256)));
    let bytes = f.truncate ? reply.subarray(0, reply.length - 1) : reply;
    if (serial && f.garbage === 'prefix') bytes = Buffer.concat([junk(), bytes]);
    if (f.garbage === 'only') bytes = junk();
    this.later(() => send(bytes));
  }

  private handle(packet: Buffer, send: Send, serial = true): void {
    if (serial) this.received++;
    if (this.faults.dropReplies > 0) {
      this.faults.dropReplies--;
      send = () => {};
    }
    const req = decodeRequest(packet);
    if (!req) return;
    const now = this.clock();
    const a = this.address;
    switch (req.kind) {
      case 'address-set':
        // [D70] Each camera takes the address it is given and passes on one more.
        this.address = req.first;
        this.addressSets++;
        return this.out(send, Buffer.from([0x88, 0x30, req.first + 1, 0xff]), serial);
      case 'if-clear-broadcast':
        this.clearSockets(now);
        return this.out(send, Buffer.from([0x88, 0x01, 0x00, 0x01, 0xff]), serial);
      default:
        if (req.address !== a) return;
    }
    switch (req.kind) {
      case 'unknown':
        return this.out(send, encodeError(a, 0, 0x02), serial);
      case 'inquiry': {
        const pos = this.model.position(now);
        const m = this.model;
        const reply =
          req.inquiry === 'power'
            ? encodeInquiryReply(a, { inquiry: 'power', on: m.power })
            : req.inquiry === 'focus-mode'
              ? encodeInquiryReply(a, { inquiry: 'focus-mode', mode: m.focus })
              : req.inquiry === 'zoom-position'
                ? encodeInquiryReply(a, { inquiry: 'zoom-position', position: pos.zoom })
                : encodeInquiryReply(a, { inquiry: 'pan-tilt-position', pan: pos.pan, tilt: pos.tilt });
        return this.out(send, reply, serial);
      }
      case 'cancel': {
        const busy = this.sockets[req.socket];
        if (!busy) return this.out(send, encodeError(a, req.socket, 0x05), serial);
        this.endSocket(req.socket, now);
        return this.out(send, encodeError(a, req.socket, 0x04), serial);
      }
      case 'command':
        return this.command(req.command, send, serial, now);
    }
  }

  private command(c: ViscaCommand, send: Send, serial: boolean, now: number): void {
    const a = this.address;
    if (c.op === 'if-clear') {
      this.clearSockets(now);
      return this.out(send, encodeCompletion(a, 0), serial);
    }
    // A new pan/tilt command takes over the head: the positioning move it interrupts ends as cancelled.
    if (PAN_TILT_OPS.has(c.op) && !(c.op === 'memory' && c.action !== 'recall')) {
      for (const s of [1, 2]) {
        const busy = this.sockets[s];
        if (busy && PAN_TILT_OPS.has(busy.command.op)) {
          this.endSocket(s, now, false);
          this.out(send, encodeError(a, s, 0x04), serial);
        }
      }
    }
    const socket = this.sockets[1] === null ? 1 : this.sockets[2] === null ? 2 : 0;
    if (socket === 0) return this.out(send, encodeError(a, 0, 0x03), serial);
    if (this.faults.errorCode !== null) return this.out(send, encodeError(a, socket, this.faults.errorCode), serial);
    const outcome = this.model.apply(c, now);
    if ('error' in outcome) return this.out(send, encodeError(a, socket, outcome.error), serial);
    this.out(send, encodeAck(a, socket), serial);
    this.emit('command', c);
    if (this.faults.noCompletion) {
      this.sockets[socket] = { command: c, timer: null };
      return;
    }
    if (outcome.ms <= 0) return this.out(send, encodeCompletion(a, socket), serial);
    const busy: Busy = { command: c, timer: null };
    this.sockets[socket] = busy;
    busy.timer = setTimeout(() => {
      if (busy.timer) this.timers.delete(busy.timer);
      if (this.sockets[socket] !== busy) return;
      this.sockets[socket] = null;
      this.model.arrive(this.clock());
      this.out(send, encodeCompletion(a, socket), serial);
    }, Math.ceil(outcome.ms));
    this.timers.add(busy.timer);
  }

  private endSocket(s: number, now: number, halt = true): void {
    const busy = this.sockets[s];
    if (!busy) return;
    if (busy.timer) {
      clearTimeout(busy.timer);
      this.timers.delete(busy.timer);
    }
    this.sockets[s] = null;
    if (halt) this.model.halt(now, busy.command.op === 'zoom-direct' || busy.command.op === 'memory');
  }

  private clearSockets(now: number): void {
    for (const s of [1, 2]) this.endSocket(s, now);
  }
}
