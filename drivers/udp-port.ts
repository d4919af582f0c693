// BytePort over UDP to one remote host:port (VISCA over IP). Each 'data' chunk is exactly one datagram, so
// protocols with their own framing (the VISCA over IP header) can rely on it. UDP has no connection: a remote that
// is gone shows as silence (`not answering`), never as 'close', except when the local socket itself fails.
import { EventEmitter } from 'node:events';
import { createSocket, type Socket } from 'node:dgram';
import type { BytePort } from './port.js';
import { DisconnectedError } from '../core/errors.js';

export interface UdpOptions {
  host: string;
  port: number;
  /** Local port to bind (0: any). Some cameras answer only to the port they were configured with. */
  localPort?: number;
  localAddress?: string;
  label?: string;
}

export class UdpBytePort extends EventEmitter implements BytePort {
  readonly name: string;
  private readonly opts: UdpOptions;
  private readonly label: string;
  private sock: Socket | null = null;

  constructor(opts: UdpOptions) {
    super();
    this.opts = opts;
    this.name = `udp://${opts.host}:${opts.port}`;
    this.label = opts.label ?? 'udp port';
  }

  get isOpen(): boolean {
    return this.sock !== null;
  }

  /** The local port the socket is bound to (after open). */
  get localPort(): number | undefined {
    return this.sock?.address().port;
  }

  open(): Promise<void> {
    if (this.sock) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sock = createSocket('udp4');
      const fail = (e: NodeJS.ErrnoException) => {
        sock.close();
        reject(new DisconnectedError(`${this.label} ${this.name}: cannot open: ${e.code ?? e.message}`, { port: this.name }));
      };
      sock.once('error', fail);
      sock.bind(this.opts.localPort ?? 0, this.opts.localAddress, () => {
        // connect() makes the kernel drop datagrams from any other sender, so only the camera talks to us.
        sock.connect(this.opts.port, this.opts.host, () => {
          sock.removeListener('error', fail);
          this.sock = sock;
          sock.on('message', (msg: Buffer) => this.emit('data', msg));
          // ICMP port-unreachable arrives as ECONNREFUSED: the camera is off, which the driver sees as silence.
          sock.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code === 'ECONNREFUSED') return;
            if (this.sock !== sock) return;
            this.sock = null;
            sock.close();
            this.emit('close', new DisconnectedError(`${this.label} ${this.name}: socket failed: ${e.code ?? e.message}`, { port: this.name }));
          });
          resolve();
        });
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const sock = this.sock;
    if (!sock) return Promise.reject(new DisconnectedError(`${this.label} ${this.name}: not open`, { port: this.name }));
    return new Promise((resolve, reject) => {
      sock.send(data, (err) => {
        // A refused send means nobody listens yet; the datagram is lost as it would be on the wire.
        if (err && (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED')
          reject(new DisconnectedError(`${this.label} ${this.name}: send failed: ${err.message}`, { port: this.name }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    const sock = this.sock;
    if (!sock) return Promise.resolve();
    this.sock = null;
    return new Promise((resolve) => {
      sock.close(() => {
        this.emit('close');
        resolve();
      });
    });
  }
}
