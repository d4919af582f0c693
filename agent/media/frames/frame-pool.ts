// Raw frames from the capture process, read straight into a fixed pool of preallocated buffers of exactly one
// frame each: no frame buffer allocated per frame, no copy between the pipe and the encoder. The newest complete
// frame wins: if the consumer has not taken the previous one by the time the next is complete, the previous one
// is dropped (counted), never queued, so a slow moment costs a frame and not latency.
import { EventEmitter } from 'node:events';
import { open, close } from 'node:fs';
import { Socket, type SocketConstructorOpts, type OnReadOpts } from 'node:net';

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
 * Reads fixed-size frames from a FIFO (the capture process writes it) into a FramePool and hands them to
 * `onFrame`; the buffer is only valid during the call (wrtc copies it into its own frame). The FIFO is read on the
 * event loop (a net.Socket on its fd, epoll), each read landing straight in the slot being filled at the offset
 * reached (`onread` with a buffer function): no thread-pool round trip per 64 KB pipe read, no copy.
 * `latest`: video. The newest complete frame is handed over once the reads in hand are done, so a burst delivers
 * only its last frame and counts the others as dropped. Otherwise (audio) every chunk is handed over in order
 * as it completes: a stall is caught up, not cut.
 * Events: 'end' when the writer closed the FIFO, 'error' (err).
 */
export class FrameReader extends EventEmitter {
  readonly pool: FramePool;
  private sock: Socket | null = null;
  private stopped = false;
  private scheduled = false;
  private arrived = 0;
  private slot: number;
  private offset = 0;

  constructor(
    private readonly path: string,
    frameBytes: number,
    private readonly onFrame: (buf: Buffer, arrivedMs: number) => void,
    private readonly opts: { slots: number; latest: boolean },
  ) {
    super();
    this.pool = new FramePool(frameBytes, opts.slots);
    this.slot = this.pool.acquire();
  }

  start(): void {
    // open() on a FIFO waits for the writer: done in the thread pool, once.
    open(this.path, 'r', (err, fd) => {
      if (err) return void this.emit('error', new Error(`frame reader: cannot open ${this.path}: ${err.message}`));
      if (this.stopped) return close(fd, () => {});
      // net.Socket takes `onread` (its types list it only for connect()).
      const o: SocketConstructorOpts & { onread: OnReadOpts } = { fd, readable: true, writable: false, onread: { buffer: this.next, callback: this.got } };
      const sock = new Socket(o);
      sock.on('end', () => this.stopped || this.emit('end'));
      sock.on('error', (e) => this.stopped || this.emit('error', new Error(`frame reader: ${this.path}: ${e.message}`)));
      this.sock = sock;
    });
  }

  /** Where the next read lands: the rest of the slot being filled. */
  private next = (): Buffer => this.pool.buffers[this.slot].subarray(this.offset);

  /** A read of `n` bytes landed; true: keep reading. */
  private got = (n: number): boolean => {
    if (this.stopped) return false;
    this.offset += n;
    if (this.offset < this.pool.frameBytes) return true;
    this.offset = 0;
    this.arrived = Date.now();
    this.pool.publish(this.slot);
    if (!this.opts.latest) this.deliver();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.deliver);
    }
    this.slot = this.pool.acquire();
    return true;
  };

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
    this.sock?.destroy();
    this.sock = null;
  }
}
