// Where the display contract and fault suites run: the simulators behind real socat ptys and a real TCP socket,
// and a real display when DIEMCAU_DISPLAY_PORT names one (`/dev/ttyUSB1` or `10.0.0.7:1515`), with
// DIEMCAU_DISPLAY_PROTOCOL (samsung-mdc | lg, default samsung-mdc) and DIEMCAU_DISPLAY_ID (default 1).
import { openPtyPair } from '../../lab/pty.js';
import { SerialBytePort } from '../../drivers/serial-port.js';
import { TcpBytePort } from '../../drivers/tcp-port.js';
import type { BytePort } from '../../drivers/port.js';
import type { DisplayDriver } from '../../drivers/display/display-driver.js';
import { SamsungMdcDriver } from '../../drivers/display/samsung-mdc.js';
import { LgDriver } from '../../drivers/display/lg.js';
import { createSimDisplay, startTcpSimHost, type SimDisplay } from '../../drivers/display/sim-host.js';
import { parseHostPort } from '../../agent/devices/display-port.js';

export type Protocol = 'samsung-mdc' | 'lg';

export interface Rig {
  driver: DisplayDriver;
  port: BytePort;
  /** Present for simulated targets. */
  sim?: SimDisplay;
  /** Kills the link under the driver (socat or the TCP listener). */
  unplug?: () => Promise<void>;
  close(): Promise<void>;
}

export interface Target {
  name: string;
  protocol: Protocol;
  open(timeoutMs?: number): Promise<Rig>;
}

function makeDriver(protocol: Protocol, port: BytePort, id: number, timeoutMs: number): DisplayDriver {
  return protocol === 'lg' ? new LgDriver(port, { setId: id, timeoutMs }) : new SamsungMdcDriver(port, { displayId: id, timeoutMs });
}

export function ptyTarget(protocol: Protocol, id = 1): Target {
  return {
    name: `${protocol} simulator over a socat pty`,
    protocol,
    async open(timeoutMs = 500) {
      const pair = await openPtyPair();
      const simPort = new SerialBytePort({ path: pair.b, label: 'simulated display' });
      await simPort.open();
      const sim = createSimDisplay(protocol, id, (b) => void simPort.write(b).catch(() => {}));
      simPort.on('data', (c: Buffer) => sim.receive(c));
      const port = new SerialBytePort({ path: pair.a, label: 'display port' });
      await port.open();
      const driver = makeDriver(protocol, port, id, timeoutMs);
      await driver.start();
      return {
        driver,
        port,
        sim,
        unplug: () => pair.close(),
        async close() {
          await driver.stop();
          sim.stop();
          await port.close();
          await simPort.close();
          await pair.close();
        },
      };
    },
  };
}

export function tcpTarget(protocol: Protocol, id = 1): Target {
  return {
    name: `${protocol} simulator over TCP`,
    protocol,
    async open(timeoutMs = 500) {
      const host = await startTcpSimHost(protocol, id);
      const { host: h, port: p } = parseHostPort(host.address);
      const port = new TcpBytePort({ host: h, port: p, label: 'display port' });
      await port.open();
      const driver = makeDriver(protocol, port, id, timeoutMs);
      await driver.start();
      return {
        driver,
        port,
        sim: host.sim,
        unplug: () => host.unplug(3600),
        async close() {
          await driver.stop();
          await port.close();
          await host.stop();
        },
      };
    },
  };
}

export function hardwareTarget(): Target | null {
  const where = process.env.DIEMCAU_DISPLAY_PORT;
  if (!where) return null;
  const protocol = (process.env.DIEMCAU_DISPLAY_PROTOCOL ?? 'samsung-mdc') as Protocol;
  const id = Number(process.env.DIEMCAU_DISPLAY_ID ?? 1);
  return {
    name: `${protocol} display at ${where}`,
    protocol,
    async open(timeoutMs = 2000) {
      const isTcp = !where.startsWith('/');
      const hp = parseHostPort(where);
      const port: BytePort = isTcp
        ? new TcpBytePort({ host: hp.host, port: hp.port, label: 'display port' })
        : new SerialBytePort({ path: where, label: 'display port' });
      await port.open();
      const driver = makeDriver(protocol, port, id, timeoutMs);
      await driver.start();
      return {
        driver,
        port,
        async close() {
          await driver.stop();
          await port.close();
        },
      };
    },
  };
}
