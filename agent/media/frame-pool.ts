// Raw frames from the capture process, read straight into a fixed pool of preallocated buffers of exactly one
// frame each: no per-frame allocation, no copy between the pipe and the encoder. The newest complete frame wins:
// if the consumer has not taken the previous one by the time the next is complete, the previous one is dropped
// (counted), never queued, so a slow moment costs a frame and not latency.
import { EventEmitter } from 'node:events';
import { open, read, close } from 'node:fs';

/** The slots and their hand-over; no I/O (FrameReader below does the reading). */
export class FramePool {
  readonly buffers: Buffer[];
  private ready = -1;
  private busy = new Set<number>();
  dropped = 0;
  published = 0;

  constructor(
    readonly frameBytes: number,
    slots = 3,
  ) {
    if (slots < 2) throw new RangeError(`frame pool: needs at least 2 slots, got ${slots}`);
    this.buffers = Array.from({ length: slots }, () => Buffer.allocUnsafeSlow(frameBytes));
  }

  /** A slot to fill: neither the ready frame nor one the consumer holds. */
  acquire(): number {
    for (let i = 0; i < this.buffers.length; i++) if (i !== this.ready && !this.busy.has(i)) return i;
    // Every slot is taken: the reader overwrites the ready frame, which thereby is dropped.
    const i = this.ready;
    this.ready = -1;
    this.dropped++;
    return i;
  }

  /** The slot is filled with a complete frame; an older ready frame nobody took is dropped. */
  publish(slot: number): void {
    if (this.ready >= 0) this.dropped++;
    this.ready = slot;
    this.published++;
  }

  /** The newest complete frame for the consumer, or -1; the consumer must release() it. */
  take(): number {
    const i = this.ready;
    this.ready = -1;
    if (i >= 0) this.busy.add(i);
    return i;
  }

  release(slot: number): void {
    this.busy.delete(slot);
  }
}

export interface ReaderStats {
  frames: number;
  dropped: number;
}

/**
 * Reads fixed-size frames from a FIFO (the capture process writes it) into a FramePool and hands each newest
 * frame to `onFrame` synchronously; the buffer is only valid during the call (wrtc copies it into its own frame).
 * Events: 'end' when the writer closed the FIFO, 'error' (err).
 */
export class FrameReader extends EventEmitter {
  readonly pool: FramePool;
  private fd: number | null = null;
  private stopped = false;
  private scheduled = false;
  private onFrame: (buf: Buffer, arrivedMs: number) => void;
  private arrived = 0;

  constructor(
    private readonly path: string,
    frameBytes: number,
    onFrame: (buf: Buffer, arrivedMs: number) => void,
    slots = 3,
  ) {
    super();
    this.pool = new FramePool(frameBytes, slots);
    this.onFrame = onFrame;
  }

  start(): void {
    open(this.path, 'r', (err, fd) => {
      if (err) return void this.emit('error', new Error(`frame reader: cannot open ${this.path}: ${err.message}`));
      if (this.stopped) return close(fd, () => {});
      this.fd = fd;
      this.fill(this.pool.acquire(), 0);
    });
  }

  private fill(slot: number, offset: number): void {
    if (this.fd === null || this.stopped) return;
    const buf = this.pool.buffers[slot];
    read(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (this.stopped) return;
      if (err) return void this.emit('error', new Error(`frame reader: ${this.path}: ${err.message}`));
      if (n === 0) return void this.emit('end');
      if (offset + n < buf.length) return this.fill(slot, offset + n);
      this.arrived = Date.now();
      this.pool.publish(slot);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.deliver);
      }
      this.fill(this.pool.acquire(), 0);
    });
  }

  private deliver = (): void => {
    this.scheduled = false;
    const slot = this.pool.take();
    if (slot < 0 || this.stopped) return;
    try {
      this.onFrame(this.pool.buffers[slot], this.arrived);
    } finally {
      this.pool.release(slot);
    }
  };

  stats(): ReaderStats {
    return { frames: this.pool.published, dropped: this.pool.dropped };
  }

  stop(): void {
    this.stopped = true;
    if (this.fd !== null) close(this.fd, () => {});
    this.fd = null;
  }
}
