// One request on the wire at a time, each matched to its reply with a timeout that names what it waited for.
// Displays on RS-232 handle one command at a time; a second command sent before the first is answered is often
// dropped by the set, so the queue holds it back.
import { DeviceTimeoutError, DisconnectedError } from '../../core/errors.js';

interface Pending<R> {
  what: string;
  bytes: Buffer;
  match: (reply: R) => boolean;
  timeoutMs: number;
  resolve: (reply: R) => void;
  reject: (err: Error) => void;
}

export class RequestQueue<R> {
  private readonly waiting: Pending<R>[] = [];
  private current: (Pending<R> & { timer: NodeJS.Timeout }) | null = null;
  private closed = false;
  /** Replies that matched nothing in flight (late replies after a timeout, or unsolicited). */
  unmatched = 0;

  /**
   * @param write sends bytes to the device
   * @param who the device and port, first in every message: `display (samsung-mdc) /dev/ttyUSB1`
   */
  constructor(
    private readonly write: (bytes: Buffer) => Promise<void>,
    private readonly who: string,
  ) {}

  /** Sends `bytes` once everything before it is answered; resolves with the reply `match` accepts. */
  request(what: string, bytes: Buffer, match: (reply: R) => boolean, timeoutMs: number): Promise<R> {
    if (this.closed) return Promise.reject(new DisconnectedError(`${this.who}: port closed, cannot send ${what}`));
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ what, bytes, match, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Feeds a decoded reply; returns false when nothing was waiting for it. */
  deliver(reply: R): boolean {
    const cur = this.current;
    if (!cur || !cur.match(reply)) {
      this.unmatched++;
      return false;
    }
    clearTimeout(cur.timer);
    this.current = null;
    cur.resolve(reply);
    this.pump();
    return true;
  }

  /** Rejects everything in flight and queued (port closed or driver stopped). */
  close(reason: string): void {
    this.closed = true;
    const all = [...(this.current ? [this.current] : []), ...this.waiting.splice(0)];
    if (this.current) clearTimeout(this.current.timer);
    this.current = null;
    for (const p of all) p.reject(new DisconnectedError(`${this.who}: ${reason} while waiting for the reply to ${p.what}`));
  }

  open(): void {
    this.closed = false;
  }

  get busy(): boolean {
    return this.current !== null || this.waiting.length > 0;
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const next = this.waiting.shift();
    if (!next) return;
    const timer = setTimeout(() => {
      if (this.current?.timer !== timer) return;
      this.current = null;
      next.reject(new DeviceTimeoutError(`${this.who}: no reply to ${next.what} within ${next.timeoutMs} ms`, { command: next.what }));
      this.pump();
    }, next.timeoutMs);
    this.current = { ...next, timer };
    this.write(next.bytes).catch((err: Error) => {
      if (this.current?.timer !== timer) return;
      clearTimeout(timer);
      this.current = null;
      next.reject(err);
      this.pump();
    });
  }
}
