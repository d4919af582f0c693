// BytePort over a serial line (RS-232/RS-422 adapter, or a pty in tests), using the `serialport` package.
// The port is opened with an exclusive lock (flock), so a second agent or a stray `screen` cannot share it.
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { BytePort } from './port.js';
import { DisconnectedError } from '../core/errors.js';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** What the port is for, first in every message: `camera port`, `display port`. */
  label?: string;
}

/** "Error: No such file or directory, cannot open /dev/x" -> "No such file or directory". */
function reason(err: Error): string {
  return err.message.replace(/^Error:\s*/, '').replace(/,\s*cannot open .*$/, '').trim();
}

/** Waits between tries of a refused lock: about 0.6 s in all before a held port is reported. */
const LOCK_RETRY_MS = [20, 60, 150, 350];

export class SerialBytePort extends EventEmitter implements BytePort {
  readonly name: string;
  private readonly opts: SerialOptions;
  private readonly label: string;
  private port: SerialPort | null = null;

  constructor(opts: SerialOptions) {
    super();
    this.opts = opts;
    this.name = opts.path;
    this.label = opts.label ?? 'serial port';
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /**
   * A refused lock is tried again for a short while before it is reported: the kernel frees a closed port's lock only
   * when the last thread inside a call on it returns, and a read of the old port can still be in flight, preempted on
   * a busy box, when close() has resolved (2% of close-then-open cycles on this machine with four processes on two
   * cores). A port another process really holds is refused after the last try.
   */
  async open(): Promise<void> {
    for (const waitMs of LOCK_RETRY_MS) {
      try {
        return await this.openOnce();
      } catch (err) {
        if (!(err instanceof DisconnectedError) || !/Cannot lock port/.test(err.message)) throw err;
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
    return this.openOnce();
  }

  private openOnce(): Promise<void> {
    if (this.port) return Promise.resolve();
    const port = new SerialPort({
      path: this.opts.path,
      baudRate: this.opts.baudRate ?? 9600,
      dataBits: this.opts.dataBits ?? 8,
      parity: this.opts.parity ?? 'none',
      stopBits: this.opts.stopBits ?? 1,
      lock: true,
      autoOpen: false,
    });
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(new DisconnectedError(`${this.label} ${this.name}: cannot open: ${reason(err)}`, { port: this.name }));
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => this.emit('data', chunk));
        // An 'error' without a listener would crash the process; the close that follows tells the driver.
        port.on('error', () => {});
        port.once('close', (err: Error | null) => {
          if (this.port !== port) return;
          this.port = null;
          port.removeAllListeners('data');
          // Not asked for by close(): the line dropped, with or without an error from the binding.
          const why = err ? reason(err) : 'line closed';
          this.emit('close', new DisconnectedError(`${this.label} ${this.name}: disconnected: ${why}`, { port: this.name }));
        });
        resolve();
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new DisconnectedError(`${this.label} ${this.name}: not open`, { port: this.name }));
    return new Promise((resolve, reject) => {
      port.write(data, (err) => {
        if (err) reject(new DisconnectedError(`${this.label} ${this.name}: write failed: ${reason(err)}`, { port: this.name }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    const port = this.port;
    if (!port) return Promise.resolve();
    this.port = null;
    port.removeAllListeners('data');
    return new Promise((resolve) => {
      port.close(() => {
        this.emit('close');
        resolve();
      });
    });
  }
}
