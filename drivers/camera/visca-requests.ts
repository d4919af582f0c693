// The request layer: sends VISCA requests in the order and number the protocol allows and matches each reply to its
// request. Rules ([D70] "Command/Reply sequence", [300H] "2 sockets"):
//  - a command is answered first by ACK `z0 4y FF` (y = the socket it runs in) or an error, then by Completion
//    `z0 5y FF` or an error on socket y; an inquiry is answered by `z0 50 data FF` or an error, and uses no socket;
//  - only one request at a time waits for its first answer (serial replies come back in order), so every
//    first answer belongs to the oldest request still waiting for one;
//  - two sockets: a third command waits until one is free; `z0 60 03 FF` (buffer full), when the camera is busier than
//    we knew, puts the command back to be retried when a socket frees (or 200 ms later), within its deadline;
//  - a priority request (stop) goes ahead of everything queued; if the request on the wire got no answer within
//    `stopWaitMs`, that one is given up so the stop can go out: a camera must never be left moving;
//  - over IP a reply carries its request's tag (sequence number): a reply whose request was given up (timed out,
//    pushed past) is dropped, never taken as the answer to a later request. Serial replies carry no tag: there
//    order and timing are all there is.
import { DeviceRefusedError, DeviceTimeoutError, DisconnectedError, ProtocolError } from '../../core/errors.js';
import { encodeCancel, ERROR_NAMES, hexBytes, type ViscaReply } from './visca-protocol.js';

export type Expect = 'ack' | 'inquiry' | 'if-clear' | 'address-set' | 'if-clear-broadcast' | 'cancel';

export interface RequestOptions {
  /** What the first answer is. */
  expect: Expect;
  /** For messages: `pan-tilt up`. */
  label: string;
  /** ms to wait for the first answer. */
  answerMs?: number;
  /** ms to wait for the Completion after the ACK. */
  completionMs?: number;
  priority?: boolean;
  /** Ahead of every queued request, even other priority ones (the cancel that frees a socket for a stop). */
  front?: boolean;
}

interface Pending extends Required<RequestOptions> {
  packet: Buffer;
  resolve(v: ViscaReply): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | null;
  /** What the link numbered this request on the wire (null on serial). */
  tag: number | null;
  socket: number;
  sentAt: number;
  deadline: number;
}

export interface RequestsOptions {
  /** `camera /dev/ttyUSB0`: first in every message. */
  name: string;
  address: number;
  /** Puts the packet on the wire: `tag` is what its replies will carry (null when they carry none). */
  write(packet: Buffer, kind: 'command' | 'inquiry'): { tag: number | null; sent: Promise<void> };
  answerMs: number;
  completionMs: number;
  stopWaitMs: number;
  /** A request got no answer in time: 'answer' (nothing came back at all) or 'completion' (ACK, then nothing). */
  onTimeout?(label: string, kind: 'answer' | 'completion'): void;
}

const BUFFER_FULL = 0x03;
const CANCELLED = 0x04;
const NO_SOCKET = 0x05;
/** A timer this much late means the process was stalled, not the camera silent. */
const STALL_MS = 25;

export class ViscaRequests {
  private readonly o: RequestsOptions;
  private queue: Pending[] = [];
  /** Sent, waiting for the first answer; more than one only when a stop was pushed past a silent request. */
  private awaiting: Pending[] = [];
  private readonly sockets = new Map<number, Pending>();
  private retryTimer: NodeJS.Timeout | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  /** Replies dropped because their request was no longer waiting (IP only). */
  staleReplies = 0;

  constructor(o: RequestsOptions) {
    this.o = o;
  }

  /** Sockets the camera is running our commands in. */
  get busySockets(): number {
    return this.sockets.size;
  }

  get idle(): boolean {
    return this.queue.length === 0 && this.awaiting.length === 0 && this.sockets.size === 0;
  }

  send(packet: Buffer, opts: RequestOptions): Promise<ViscaReply> {
    return new Promise((resolve, reject) => {
      const p: Pending = {
        answerMs: this.o.answerMs,
        completionMs: this.o.completionMs,
        priority: false,
        front: false,
        ...opts,
        packet,
        resolve,
        reject,
        timer: null,
        tag: null,
        socket: 0,
        sentAt: 0,
        deadline: 0,
      };
      p.deadline = performance.now() + p.answerMs + (p.expect === 'ack' ? p.completionMs : 0);
      if (p.front) this.queue.unshift(p);
      else if (p.priority) this.queue.splice(this.queue.filter((q) => q.priority).length, 0, p);
      else this.queue.push(p);
      this.pump();
    });
  }

  /** Fails everything: the port is gone. */
  failAll(err: Error): void {
    const all = [...this.awaiting, ...this.sockets.values(), ...this.queue];
    this.awaiting = [];
    this.queue = [];
    this.sockets.clear();
    for (const t of [this.retryTimer, this.stopTimer]) if (t) clearTimeout(t);
    this.retryTimer = this.stopTimer = null;
    for (const p of all) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
  }

  /** Fails the request waiting for its first answer (the camera refused the message that carried it). */
  failAwaiting(err: Error): void {
    const p = this.takeAwaiting(() => true);
    if (p) this.finish(p, err);
    this.pump();
  }

  /** Forgets socket bookkeeping after IF_Clear emptied the camera's buffers. */
  clearSockets(): void {
    for (const p of this.sockets.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new DeviceRefusedError(`${this.o.name}: ${p.label} was cleared by IF_Clear`, `visca:${CANCELLED.toString(16).padStart(2, '0')}`));
    }
    this.sockets.clear();
    this.pump();
  }

  /** One reply from the camera; `tag` is the request's number it carries (IP), null when it carries none. */
  handle(r: ViscaReply, tag: number | null = null): void {
    if (tag !== null && !this.waitingFor(tag)) {
      this.staleReplies++;
      return;
    }
    switch (r.kind) {
      case 'address-set':
        return this.answerFirst((p) => p.expect === 'address-set', r);
      case 'if-clear':
        return this.answerFirst((p) => p.expect === 'if-clear-broadcast', r);
      case 'network-change':
        return;
      case 'ack': {
        const p = this.takeAwaiting((q) => q.expect === 'ack');
        if (!p) return;
        const stale = this.sockets.get(r.socket);
        if (stale) this.finish(stale, new ProtocolError(`${this.o.name}: ${stale.label}: socket ${r.socket} was reused before its Completion`));
        p.socket = r.socket;
        this.sockets.set(r.socket, p);
        p.timer = setTimeout(() => this.completionTimeout(p), p.completionMs);
        return this.pump();
      }
      case 'completion': {
        if (r.socket === 0) {
          const want = r.data.length > 0 ? 'inquiry' : 'if-clear';
          return this.answerFirst((p) => p.expect === want, r);
        }
        const p = this.sockets.get(r.socket);
        if (p) {
          this.sockets.delete(r.socket);
          this.finish(p, r);
          // A socket is free: a command put back after buffer full may go now.
          if (this.retryTimer) clearTimeout(this.retryTimer);
          this.retryTimer = null;
          return this.pump();
        }
        // ACK lost on the line, Completion arrived: it belongs to the command waiting for its ACK.
        return this.answerFirst((q) => q.expect === 'ack', r);
      }
      case 'error':
        return this.error(r.socket, r.code, r);
    }
  }

  private waitingFor(tag: number): boolean {
    if (this.awaiting.some((p) => p.tag === tag)) return true;
    for (const p of this.sockets.values()) if (p.tag === tag) return true;
    return false;
  }

  private error(socket: number, code: number, r: ViscaReply): void {
    const cancel = this.awaiting.find((p) => p.expect === 'cancel');
    if (cancel && (code === CANCELLED || code === NO_SOCKET) && socket !== 0) {
      this.awaiting.splice(this.awaiting.indexOf(cancel), 1);
      this.finish(cancel, r);
    }
    const running = socket !== 0 ? this.sockets.get(socket) : undefined;
    if (running) {
      this.sockets.delete(socket);
      this.finish(running, this.refused(running, code));
      return this.pump();
    }
    if (cancel) return this.pump();
    const p = this.takeAwaiting(() => true);
    if (!p) return this.pump();
    if (code === BUFFER_FULL && p.expect === 'ack' && performance.now() < p.deadline) {
      // The camera is busier than our count says: put it back first in line and retry.
      if (p.timer) clearTimeout(p.timer);
      p.timer = null;
      this.queue.unshift(p);
      if (p.priority && this.sockets.size > 0) {
        // A stop must not wait for a long move: cancel the oldest running command to free its socket.
        const oldest = Math.min(...this.sockets.keys());
        void this.send(encodeCancel(this.o.address, oldest), { expect: 'cancel', label: `cancel socket ${oldest}`, priority: true, front: true }).catch(() => {});
      } else this.scheduleRetry();
      return this.pump();
    }
    this.finish(p, this.refused(p, code));
    this.pump();
  }

  private refused(p: Pending, code: number): DeviceRefusedError {
    const c = code.toString(16).padStart(2, '0');
    return new DeviceRefusedError(`${this.o.name}: ${p.label} refused: ${ERROR_NAMES[code] ?? 'error'} (visca:${c})`, `visca:${c}`);
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, 200);
  }

  private takeAwaiting(match: (p: Pending) => boolean): Pending | undefined {
    const i = this.awaiting.findIndex(match);
    if (i < 0) return undefined;
    const [p] = this.awaiting.splice(i, 1);
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    return p;
  }

  private answerFirst(match: (p: Pending) => boolean, r: ViscaReply): void {
    const p = this.takeAwaiting(match);
    if (p) this.finish(p, r);
    this.pump();
  }

  private finish(p: Pending, outcome: ViscaReply | Error): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  private answerTimeout(p: Pending): void {
    const i = this.awaiting.indexOf(p);
    if (i < 0) return;
    this.awaiting.splice(i, 1);
    this.o.onTimeout?.(p.label, 'answer');
    this.finish(p, new DeviceTimeoutError(`${this.o.name}: no answer to ${p.label} (${hexBytes(p.packet)}) within ${p.answerMs} ms`));
    this.pump();
  }

  private completionTimeout(p: Pending): void {
    if (this.sockets.get(p.socket) !== p) return;
    this.sockets.delete(p.socket);
    this.o.onTimeout?.(p.label, 'completion');
    this.finish(p, new DeviceTimeoutError(`${this.o.name}: no Completion for ${p.label} on socket ${p.socket} within ${p.completionMs} ms`));
    // The camera may still hold the socket: free it so the next command does not meet buffer full.
    void this.send(encodeCancel(this.o.address, p.socket), { expect: 'cancel', label: `cancel socket ${p.socket}` }).catch(() => {});
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (this.awaiting.length > 0) {
        if (head.priority) this.armStopWait();
        return;
      }
      if (head.expect === 'ack' && this.sockets.size >= 2 && !head.priority) return;
      if (head.expect === 'ack' && this.retryTimer && !head.priority) return;
      this.queue.shift();
      this.transmit(head);
    }
  }

  /**
   * A stop is queued behind a request with no answer yet: give that one `stopWaitMs`, then send the stop anyway.
   * When this process itself was stalled (the timer fires late), the answer may be sitting unread in the port, or
   * still on its way through whatever was stalled with us: the request gets another wait as long as the stall (up
   * to `stopWaitMs`) before it is given up. Giving up a request whose ACK is only unread would hand that ACK to the
   * stop on a serial line, where replies carry no tag (run 47: the stop then waited for a Completion that belonged
   * to a hung command; run 76: a turn of 25 ms after a 270 ms stall beside a CPU hog was too short for the lab's
   * pty relay, starved with us, to pass the ACK on).
   */
  private armStopWait(): void {
    if (this.stopTimer) return;
    const age = performance.now() - this.awaiting[0].sentAt;
    const wait = Math.max(0, this.o.stopWaitMs - age);
    const due = performance.now() + wait;
    this.stopTimer = setTimeout(() => {
      this.stopTimer = null;
      const late = performance.now() - due;
      if (late > STALL_MS) {
        this.stopTimer = setTimeout(() => {
          this.stopTimer = null;
          this.giveUpForStop();
        }, Math.min(late, this.o.stopWaitMs));
        return;
      }
      this.giveUpForStop();
    }, wait);
  }

  private giveUpForStop(): void {
    const head = this.queue[0];
    const now = performance.now();
    // Only a request that has really waited its time is given up (not one sent since this timer was set).
    if (head?.priority && this.awaiting.length > 0 && now - this.awaiting[0].sentAt >= this.o.stopWaitMs - 1) {
      for (const p of this.awaiting.splice(0)) {
        this.o.onTimeout?.(p.label, 'answer');
        this.finish(p, new DeviceTimeoutError(`${this.o.name}: no answer to ${p.label} within ${Math.round(now - p.sentAt)} ms; given up so ${head.label} could be sent`));
      }
    }
    this.pump();
  }

  private transmit(p: Pending): void {
    p.sentAt = performance.now();
    this.awaiting.push(p);
    p.timer = setTimeout(() => this.answerTimeout(p), p.answerMs);
    const { tag, sent } = this.o.write(p.packet, p.expect === 'inquiry' ? 'inquiry' : 'command');
    p.tag = tag;
    sent.catch((err: unknown) => {
      const i = this.awaiting.indexOf(p);
      if (i >= 0) this.awaiting.splice(i, 1);
      this.finish(p, err instanceof DisconnectedError ? err : new DisconnectedError(`${this.o.name}: write failed: ${String(err)}`));
      this.pump();
    });
  }
}
