// Puts a simulated display at the far end of a real pty pair (socat) or a real TCP listener, so the driver under
// test speaks through the same ports it uses in the hall. `unplug(seconds)` takes the link away and brings it back
// at the same path or port, which is how "cable pulled" is shown without hardware.
import { createServer, type Server, type Socket } from 'node:net';
import { SerialBytePort } from '../serial-port.js';
import { SimPty } from '../sim-pty.js';
import { SamsungMdcSim } from './samsung-mdc-sim.js';
import { LgSim } from './lg-sim.js';
import type { SimDisplayModel, SimFaults } from './sim-model.js';

export interface SimDisplay {
  readonly model: SimDisplayModel;
  readonly faults: SimFaults;
  readonly received: number;
  receive(chunk: Buffer): void;
  stop(): void;
}

export function createSimDisplay(protocol: 'samsung-mdc' | 'lg', id: number, send: (b: Buffer) => void): SimDisplay {
  return protocol === 'lg' ? new LgSim(id, send) : new SamsungMdcSim(id, send);
}

export interface SimHost {
  readonly sim: SimDisplay;
  /** Serial path (the symlink) or `host:port` the driver opens. */
  readonly address: string;
  unplug(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

/** A pty pair in a temp directory of its own; the driver opens the pair's driver end. */
export async function startPtySimHost(protocol: 'samsung-mdc' | 'lg', id: number): Promise<SimHost> {
  const pty = await SimPty.create('diemcau-display');
  const simPath = pty.simPath;
  let simPort: SerialBytePort | null = null;
  let replug: NodeJS.Timeout | null = null;
  let stopped = false;
  const sim = createSimDisplay(protocol, id, (b) => {
    simPort?.write(b).catch(() => {});
  });
  const plug = async () => {
    await pty.plug();
    const port = new SerialBytePort({ path: simPath, baudRate: 9600, label: 'simulated display' });
    await port.open();
    port.on('data', (c: Buffer) => sim.receive(c));
    simPort = port;
  };
  const unplugNow = async () => {
    const port = simPort;
    simPort = null;
    await pty.unplug();
    await port?.close();
  };
  await plug();
  return {
    sim,
    address: pty.driverPath,
    async unplug(seconds: number) {
      await unplugNow();
      if (replug) clearTimeout(replug);
      replug = setTimeout(() => {
        replug = null;
        if (!stopped) plug().catch(() => {});
      }, seconds * 1000);
    },
    async stop() {
      stopped = true;
      if (replug) clearTimeout(replug);
      sim.stop();
      const port = simPort;
      simPort = null;
      await port?.close();
      await pty.close();
    },
  };
}

/** A TCP listener on 127.0.0.1 (MDC's port 1515 in the hall; a free port here). Each connection shares one set. */
export async function startTcpSimHost(protocol: 'samsung-mdc' | 'lg', id: number, port = 0): Promise<SimHost> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let replug: NodeJS.Timeout | null = null;
  let stopped = false;
  const sim = createSimDisplay(protocol, id, (b) => {
    for (const s of sockets) s.write(b);
  });
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer((sock) => {
        sockets.add(sock);
        sock.on('data', (c) => sim.receive(c));
        sock.on('error', () => {});
        sock.on('close', () => sockets.delete(sock));
      });
      srv.once('error', reject);
      srv.listen(p, '127.0.0.1', () => {
        server = srv;
        resolve((srv.address() as { port: number }).port);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  const bound = await listen(port);
  return {
    sim,
    address: `127.0.0.1:${bound}`,
    async unplug(seconds: number) {
      await close();
      if (replug) clearTimeout(replug);
      replug = setTimeout(() => {
        replug = null;
        if (!stopped) listen(bound).catch(() => {});
      }, seconds * 1000);
    },
    async stop() {
      stopped = true;
      if (replug) clearTimeout(replug);
      sim.stop();
      await close();
    },
  };
}
