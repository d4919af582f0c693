// BytePort over a TCP connection (serial-over-IP adapters, displays with a LAN control port).
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { BytePort } from './port.js';
import { DisconnectedError } from '../core/errors.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** What the port is for, first in every message: `display port`. */
  label?: string;
  connectTimeoutMs?: number;
}

export class TcpBytePort extends EventEmitter implements BytePort {
  readonly name: string;
  private readonly opts: TcpOptions;
  private readonly label: string;
  private sock: Socket | null = null;

  constructor(opts: TcpOptions) {
    super();
    this.opts = opts;
    this.name = `tcp://${opts.host}:${opts.port}`;
    this.label = opts.label ?? 'tcp port';
  }

  get isOpen(): boolean {
    return this.sock !== null;
  }

  open(): Promise<void> {
    if (this.sock) return Promise.resolve();
    const timeoutMs = this.opts.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const sock = connect({ host: this.opts.host, port: this.opts.port });
      const fail = (why: string) => {
        clearTimeout(timer);
        sock.destroy();
        reject(new DisconnectedError(`${this.label} ${this.name}: cannot open: ${why}`, { port: this.name }));
      };
      const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
      sock.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        sock.setNoDelay(true);
        // Notice a peer that vanished without a FIN (cable pulled) within a minute or so.
        sock.setKeepAlive(true, 10_000);
        this.sock = sock;
        let lastErr: Error | undefined;
        sock.on('data', (chunk: Buffer) => this.emit('data', chunk));
        sock.on('error', (e: NodeJS.ErrnoException) => {
          lastErr = new DisconnectedError(`${this.label} ${this.name}: disconnected: ${e.code ?? e.message}`, {
            port: this.name,
          });
        });
        sock.once('close', () => {
          if (this.sock !== sock) return;
          this.sock = null;
          this.emit('close', lastErr ?? new DisconnectedError(`${this.label} ${this.name}: closed by peer`, { port: this.name }));
        });
        resolve();
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const sock = this.sock;
    if (!sock) return Promise.reject(new DisconnectedError(`${this.label} ${this.name}: not open`, { port: this.name }));
    return new Promise((resolve, reject) => {
      sock.write(data, (err) => {
        if (err) reject(new DisconnectedError(`${this.label} ${this.name}: write failed: ${err.message}`, { port: this.name }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    const sock = this.sock;
    if (!sock) return Promise.resolve();
    this.sock = null;
    return new Promise((resolve) => {
      sock.once('close', () => {
        this.emit('close');
        resolve();
      });
      sock.destroy();
    });
  }
}
