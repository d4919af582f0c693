// The VISCA camera driver over a BytePort it is given (serial, or UDP for VISCA over IP). It opens the port, sets
// addresses and clears the interface ([D70] "Address set", "IF_Clear"), keeps the camera's state by polling
// inquiries, and runs commands through the request layer. When the port goes away it reports `missing` and reopens
// it with backoff (closing releases the port lock, opening takes it again), without a restart.
import { EventEmitter } from 'node:events';
import type { BytePort } from '../port.js';
import type { Health } from '../../core/health.js';
import { DeviceHealth, Reopen, REOPEN } from '../../core/device-health.js';
import { realClock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { silentLogger } from '../../core/log.js';
import { BadRequestError, DeviceRefusedError, DeviceTimeoutError, DisconnectedError, ProtocolError } from '../../core/errors.js';
import { ADDRESS_SET, IF_CLEAR_BROADCAST, decodeInquiryReply, decodeReply, describeCommand, encodeCommand, encodeInquiry, hexBytes, type InquiryValue, type ViscaCommand, type ViscaInquiry } from './visca-protocol.js';
import { TILT_SPEED_MAX, type Direction } from '../../core/commands/camera.js';
import { IpTransport, SerialTransport, type ViscaTransport } from './visca-transport.js';
import { CameraStateTracker, isPositioning, type CameraState } from './camera-state.js';
import { ViscaRequests } from './visca-requests.js';

export interface ViscaCameraOptions {
  port: BytePort;
  transport: 'serial' | 'udp';
  /** VISCA address 1..7 (always 1 over IP). */
  address: number;
  log?: Logger;
  /** ms for a first answer (ACK, inquiry reply). */
  answerMs?: number;
  /** ms from ACK to Completion for quick commands, and for moves to a position. */
  completionMs?: number;
  moveCompletionMs?: number;
  /** ms a stop waits behind a request with no answer before that request is given up. */
  stopWaitMs?: number;
  pollMs?: number;
  movingPollMs?: number;
  /** Reopening a missing port (core/device-health.ts REOPEN by default). */
  reopen?: { minMs: number; maxMs: number };
}

export class ViscaCamera extends EventEmitter {
  readonly name: string;
  private readonly port: BytePort;
  private readonly o: Required<Omit<ViscaCameraOptions, 'port' | 'log' | 'reopen'>>;
  private readonly log: Logger;
  private readonly transport: ViscaTransport;
  private readonly requests: ViscaRequests;
  private readonly tracker = new CameraStateTracker(() => this.emit('change'));
  private readonly status: DeviceHealth;
  private readonly reopen: Reopen;
  private running = false;
  private initialized = false;
  private polling = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private pollDue = 0;
  private controlWaiter: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => this.received(chunk);
  private readonly onClose = (err?: Error) => this.lost(err);

  constructor(opts: ViscaCameraOptions) {
    super();
    this.port = opts.port;
    this.name = `camera ${opts.port.name}`;
    this.log = opts.log ?? silentLogger;
    this.o = {
      transport: opts.transport,
      address: opts.transport === 'udp' ? 1 : opts.address,
      answerMs: opts.answerMs ?? 1000,
      completionMs: opts.completionMs ?? 3000,
      moveCompletionMs: opts.moveCompletionMs ?? 20000,
      stopWaitMs: opts.stopWaitMs ?? 150,
      pollMs: opts.pollMs ?? 1000,
      movingPollMs: opts.movingPollMs ?? 250,
    };
    this.status = new DeviceHealth({ name: this.name, log: this.log, onChange: () => this.emit('change') });
    this.reopen = new Reopen(() => (this.running ? this.connect() : undefined), realClock, opts.reopen ?? REOPEN);
    this.transport = opts.transport === 'udp' ? new IpTransport() : new SerialTransport();
    this.requests = new ViscaRequests({
      name: this.name,
      address: this.o.address,
      answerMs: this.o.answerMs,
      completionMs: this.o.completionMs,
      stopWaitMs: this.o.stopWaitMs,
      write: (packet, kind) => {
        const { bytes, tag } = this.transport.wrap(packet, kind);
        return { tag, sent: this.port.write(bytes) };
      },
      onTimeout: (label, kind) => this.timedOut(label, kind),
    });
  }

  health(): Health {
    return this.status.current;
  }

  report(): CameraState {
    return this.tracker.state;
  }

  /** Bytes received that were not valid replies (garbage, truncated packets). */
  get droppedBytes(): number {
    return this.transport.dropped;
  }

  /** Replies that came after their request was given up, dropped by their sequence number (VISCA over IP). */
  get staleReplies(): number {
    return this.requests.staleReplies;
  }

  /** Sockets the driver knows the camera is running its commands in (it has read their ACK). */
  get busySockets(): number {
    return this.requests.busySockets;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.status.set('starting');
    this.port.on('data', this.onData);
    this.port.on('close', this.onClose);
    await this.connect();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.reopen.cancel();
    this.requests.failAll(new DisconnectedError(`${this.name}: driver stopped`));
    this.port.off('data', this.onData);
    this.port.off('close', this.onClose);
    await this.port.close();
    this.status.set('stopped');
  }

  power(on: boolean): Promise<void> {
    return this.run({ op: 'power', on }, on ? 15000 : this.o.completionMs);
  }
  /** Drives the head in a direction until stop() (or a limit); 'stop' is stop(). */
  move(direction: Direction, speed: number): Promise<void> {
    if (direction === 'stop') return this.stopMotion();
    return this.run({ op: 'pt-drive', direction, panSpeed: speed, tiltSpeed: Math.min(speed, TILT_SPEED_MAX) });
  }
  moveTo(pan: number, tilt: number, speed: number, relative = false): Promise<void> {
    return this.run({ op: relative ? 'pt-relative' : 'pt-absolute', pan, tilt, speed });
  }
  home(): Promise<void> {
    return this.run({ op: 'pt-home' });
  }
  zoom(action: 'tele' | 'wide' | 'stop', speed?: number): Promise<void> {
    return this.run({ op: 'zoom', action, speed }, undefined, action === 'stop');
  }
  zoomTo(position: number): Promise<void> {
    return this.run({ op: 'zoom-direct', position });
  }
  focus(mode: 'auto' | 'manual'): Promise<void> {
    return this.run({ op: 'focus-mode', mode });
  }
  presetSet(n: number): Promise<void> {
    return this.run({ op: 'memory', action: 'set', n });
  }
  presetRecall(n: number): Promise<void> {
    return this.run({ op: 'memory', action: 'recall', n });
  }

  /** Stops pan/tilt and zoom. Goes ahead of every queued request, and past one that got no answer. */
  async stopMotion(): Promise<void> {
    const results = await Promise.allSettled([
      this.run({ op: 'pt-drive', direction: 'stop', panSpeed: 1, tiltSpeed: 1 }, undefined, true),
      this.run({ op: 'zoom', action: 'stop' }, undefined, true),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async inquire<Q extends ViscaInquiry>(q: Q): Promise<Extract<InquiryValue, { inquiry: Q }>> {
    const r = await this.requests.send(encodeInquiry(this.o.address, q), { expect: 'inquiry', label: `${q} inquiry` });
    const v = r.kind === 'completion' ? decodeInquiryReply(q, r.data) : null;
    if (!v) throw new ProtocolError(`${this.name}: ${q} inquiry: reply ${r.kind === 'completion' ? hexBytes(r.data) : r.kind} does not fit`);
    return v as Extract<InquiryValue, { inquiry: Q }>;
  }

  private async run(c: ViscaCommand, completionMs?: number, priority = false): Promise<void> {
    if (!this.port.isOpen) throw new DisconnectedError(`${this.name}: ${describeCommand(c)}: port is not open (${this.status.current.status})`);
    const completion = completionMs ?? (isPositioning(c) ? this.o.moveCompletionMs : this.o.completionMs);
    let packet: Buffer;
    try {
      packet = encodeCommand(this.o.address, c);
    } catch (err) {
      throw new BadRequestError(`${this.name}: ${describeCommand(c)}: ${(err as Error).message}`);
    }
    this.tracker.begin(c);
    let ok = false;
    try {
      await this.requests.send(packet, { expect: 'ack', label: describeCommand(c), completionMs: completion, priority });
      ok = true;
    } finally {
      this.tracker.end(c, ok);
      // Read the new position back soon; a burst of commands shares one poll.
      this.schedulePoll(100);
    }
  }

  private async connect(): Promise<void> {
    try {
      await this.port.open();
    } catch (err) {
      this.status.set('missing', 'disconnected', (err as Error).message);
      this.reopen.schedule();
      return;
    }
    if (!this.running) {
      await this.port.close(); // stop() came while the port was opening
      return;
    }
    this.reopen.succeeded();
    this.log.info('camera port open', { port: this.port.name });
    await this.poll();
  }

  private lost(err?: Error): void {
    if (!this.running) return;
    const why = err ?? new DisconnectedError(`${this.name}: port closed`);
    this.log.warn('camera port lost', { port: this.port.name, err: why });
    this.initialized = false;
    this.transport.reset();
    this.requests.failAll(why instanceof DisconnectedError ? why : new DisconnectedError(`${this.name}: ${why.message}`));
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.status.set('missing', 'disconnected', why.message);
    this.reopen.schedule();
  }

  private received(chunk: Buffer): void {
    for (const { packet, tag } of this.transport.feed(chunk)) {
      const r = decodeReply(packet);
      if (r?.kind === 'network-change') {
        // [D70] `z0 38 FF`: a camera on the chain was powered or plugged: addresses must be set again.
        this.initialized = false;
        this.schedulePoll(0);
      } else if (r) this.requests.handle(r, tag);
    }
    for (const c of this.transport.takeControl()) {
      if (c.length === 1 && c[0] === 0x01) this.controlWaiter?.();
      else {
        // ERROR 0F01h (sequence number) or 0F02h (message type) [300H]: start a new session with RESET.
        const what = c[0] === 0x0f && c[1] === 0x01 ? 'sequence number abnormal' : 'message abnormal';
        this.status.repeat('control error', `${this.name}: control error`, { reply: hexBytes(c) });
        const err = new ProtocolError(`${this.name}: camera refused the message: ${what} (control reply ${hexBytes(c)})`);
        this.requests.failAwaiting(err);
        this.status.set('error', 'protocol', err.message);
        this.initialized = false;
        this.schedulePoll(0);
      }
    }
  }

  private timedOut(label: string, kind: 'answer' | 'completion'): void {
    this.status.repeat('timeout', `${this.name}: no answer`, { request: label, waited: kind });
    // A Completion that never came is dealt with by cancelling its socket; silence means the camera may have
    // restarted (lost its address) or the line garbled a packet: drop the partial bytes and set it up again.
    if (kind === 'completion') return;
    this.initialized = false;
    this.transport.reset();
    if (this.status.current.status === 'ok') this.status.set('not answering', 'device_timeout', `${this.name}: no answer to ${label}`);
    this.schedulePoll(0);
  }

  /** Address set and IF_Clear (serial) or sequence RESET and IF_Clear (IP); then the camera's state. */
  private async init(): Promise<void> {
    if (this.o.transport === 'udp') {
      const ip = this.transport as IpTransport;
      const answered = new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new DeviceTimeoutError(`${this.name}: no answer to control RESET within ${this.o.answerMs} ms`)), this.o.answerMs);
        this.controlWaiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      await this.port.write(ip.resetMessage());
      await answered.finally(() => (this.controlWaiter = null));
    } else {
      await this.requests.send(ADDRESS_SET, { expect: 'address-set', label: 'address set' });
    }
    // IF_Clear empties the camera's sockets: skipped while commands of ours are on their way (it would cancel them).
    if (this.requests.idle) {
      if (this.o.transport === 'udp') await this.requests.send(encodeCommand(1, { op: 'if-clear' }), { expect: 'if-clear', label: 'IF_Clear' });
      else await this.requests.send(IF_CLEAR_BROADCAST, { expect: 'if-clear-broadcast', label: 'IF_Clear' });
      this.requests.clearSockets();
    }
    this.initialized = true;
  }

  /** Reads power, position, zoom and focus back from the camera now (a command's answer carries the real outcome). */
  readBack(): Promise<void> {
    return this.refresh();
  }

  private async refresh(): Promise<void> {
    const power = await this.inquire('power');
    // In standby a head may refuse position inquiries: power is all there is to know.
    if (!power.on) return this.tracker.polled({ power: 'standby' }, this.requests.idle);
    const pt = await this.inquire('pan-tilt-position');
    const zoom = await this.inquire('zoom-position');
    const focus = await this.inquire('focus-mode');
    this.tracker.polled({ power: 'on', pan: pt.pan, tilt: pt.tilt, zoom: zoom.position, focus: focus.mode }, this.requests.idle);
  }

  private async poll(): Promise<void> {
    if (!this.running || this.polling || !this.port.isOpen) return;
    this.polling = true;
    const dropped = this.transport.dropped;
    try {
      if (!this.initialized) await this.init();
      await this.refresh();
      // A request that timed out meanwhile asked for a new init: ok only once that is done.
      if (this.initialized) this.status.set('ok');
    } catch (err) {
      if (err instanceof DeviceTimeoutError && this.transport.dropped > dropped) {
        this.status.set('error', 'protocol', `${this.name}: answers are not VISCA (${this.transport.dropped - dropped} bytes dropped)`);
      } else if (err instanceof DeviceRefusedError || err instanceof ProtocolError || err instanceof DeviceTimeoutError) this.status.fromError(err);
    } finally {
      this.polling = false;
    }
    this.schedulePoll(!this.initialized ? Math.min(this.o.pollMs, 200) : this.tracker.state.moving ? this.o.movingPollMs : this.o.pollMs);
  }

  /** Polls in `ms`, unless a poll is already due sooner. */
  private schedulePoll(ms: number): void {
    if (!this.running || !this.port.isOpen) return;
    const due = performance.now() + ms;
    if (this.pollTimer) {
      if (this.pollDue <= due) return;
      clearTimeout(this.pollTimer);
    }
    this.pollDue = due;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll();
    }, ms);
  }

}
export type { CameraState } from './camera-state.js';
