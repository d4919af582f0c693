// Keeps a display driver attached: opens its port (or claims the CEC adapter), notices when the port goes away,
// releases it and takes it again with backoff, with no restart. What happens on the wire is the driver's business;
// what it means for health is the device's (device.ts).
import type { DisplayConfig } from '../../core/config/display.js';
import type { BytePort } from '../../drivers/port.js';
import { SerialBytePort } from '../../drivers/serial-port.js';
import { TcpBytePort } from '../../drivers/tcp-port.js';
import type { DisplayDriver } from '../../drivers/display/display-driver.js';
import { SamsungMdcDriver } from '../../drivers/display/samsung-mdc.js';
import { LgDriver } from '../../drivers/display/lg.js';
import { CecDriver } from '../../drivers/display/cec.js';
import { startPtySimHost, startTcpSimHost, type SimHost } from '../../drivers/display/sim-host.js';

export const MDC_TCP_PORT = 1515;

/** `host`, `host:port` -> host and port (MDC's 1515 when left out). */
export function parseHostPort(s: string, defaultPort = MDC_TCP_PORT): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s.trim());
  const port = m?.[2] ? Number(m[2]) : defaultPort;
  return { host: m?.[1] ?? s, port };
}

export interface Attached {
  driver: DisplayDriver;
  /** The serial path / tcp address / CEC device, for messages. */
  where: string;
  release(): Promise<void>;
}

/** Builds the simulator (simulate mode) and, each time it is asked, a freshly attached driver. */
export class DisplayPort {
  sim: SimHost | null = null;

  constructor(private readonly cfg: DisplayConfig) {}

  /** Starts the simulated display when cfg.simulate; returns the address the driver will use. */
  async prepare(): Promise<void> {
    if (!this.cfg.simulate) return;
    if (this.cfg.protocol === 'cec') throw new Error('display: simulate is not available for protocol cec (no CEC bus here)');
    if (this.cfg.transport === 'tcp') {
      this.sim = await startTcpSimHost(this.cfg.protocol, this.cfg.displayId);
    } else {
      this.sim = await startPtySimHost(this.cfg.protocol, this.cfg.displayId);
    }
  }

  /** Where the driver connects: the configured port, or the simulator's. */
  get address(): string {
    return this.sim?.address ?? this.cfg.port;
  }

  /** Opens the port and starts a driver on it; throws DisconnectedError naming the port when it is not there. */
  async attach(onLost: (err?: Error) => void): Promise<Attached> {
    const cfg = this.cfg;
    if (cfg.protocol === 'cec' || cfg.transport === 'cec') {
      const driver = new CecDriver(cfg.port);
      await driver.start();
      return { driver, where: cfg.port, release: () => driver.stop() };
    }
    let port: BytePort;
    if (cfg.transport === 'tcp') {
      const { host, port: p } = parseHostPort(this.address);
      port = new TcpBytePort({ host, port: p, label: 'display port', connectTimeoutMs: 3000 });
    } else {
      port = new SerialBytePort({ path: this.address, baudRate: cfg.baudRate, label: 'display port' });
    }
    await port.open();
    const driver =
      cfg.protocol === 'lg'
        ? new LgDriver(port, { setId: cfg.displayId, timeoutMs: cfg.replyTimeoutMs })
        : new SamsungMdcDriver(port, { displayId: cfg.displayId, timeoutMs: cfg.replyTimeoutMs });
    let released = false;
    const onClose = (err?: Error) => {
      if (released) return;
      released = true;
      void driver.stop();
      onLost(err);
    };
    port.once('close', onClose);
    await driver.start();
    return {
      driver,
      where: port.name,
      release: async () => {
        if (released) return;
        released = true;
        port.off('close', onClose);
        await driver.stop();
        await port.close();
      },
    };
  }

  async stop(): Promise<void> {
    await this.sim?.stop();
    this.sim = null;
  }
}
