// Puts a simulated camera at the far end of a real line: a socat pty pair (serial) or a UDP socket on loopback
// (VISCA over IP). The driver then runs unchanged against it. `unplug()` takes the line away, `plug()` brings it back
// at the same path or port; the simulated head keeps its position meanwhile, as a real one does.
import { createSocket, type Socket } from 'node:dgram';
import { SerialBytePort } from '../serial-port.js';
import { SimPty } from '../sim-pty.js';
import { ViscaSim } from './visca-sim.js';

export interface SimHost {
  readonly sim: ViscaSim;
  /** What the driver opens: a device path, or `127.0.0.1:<port>` for udp. */
  readonly target: string;
  start(): Promise<void>;
  unplug(): Promise<void>;
  plug(): Promise<void>;
  stop(): Promise<void>;
}

export class SerialSimHost implements SimHost {
  readonly sim: ViscaSim;
  private pty: SimPty | null = null;
  private port: SerialBytePort | null = null;

  constructor(sim = new ViscaSim()) {
    this.sim = sim;
  }

  get target(): string {
    return this.pty?.driverPath ?? '';
  }

  async start(): Promise<void> {
    this.pty = await SimPty.create('diemcau-camera');
    await this.plug();
  }

  async plug(): Promise<void> {
    if (!this.pty || this.pty.plugged) return;
    await this.pty.plug();
    const port = new SerialBytePort({ path: this.pty.simPath, label: 'simulated camera' });
    await port.open();
    this.port = port;
    this.sim.attachPort(port);
  }

  async unplug(): Promise<void> {
    this.sim.detach();
    const port = this.port;
    this.port = null;
    await port?.close();
    await this.pty?.unplug();
  }

  async stop(): Promise<void> {
    this.sim.detach();
    const port = this.port;
    this.port = null;
    await port?.close();
    await this.pty?.close();
    this.pty = null;
  }
}

export class UdpSimHost implements SimHost {
  readonly sim: ViscaSim;
  private sock: Socket | null = null;
  private port: number;

  /** `port` 0 picks a free one at start; plug() after unplug() binds the same one again. */
  constructor(sim = new ViscaSim(), port = 0) {
    this.sim = sim;
    this.port = port;
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.plug();
  }

  async plug(): Promise<void> {
    if (this.sock) return;
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.port, '127.0.0.1', () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.port = sock.address().port;
    sock.on('error', () => {}); // a datagram to a controller that left: nothing to do
    this.sock = sock;
    this.sim.attachUdp(sock);
  }

  async unplug(): Promise<void> {
    this.sim.detach();
    const sock = this.sock;
    this.sock = null;
    if (sock) await new Promise<void>((resolve) => sock.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.unplug();
  }
}
