// A real pseudo-terminal pair from socat for tests: one end for the driver, one for the simulated device.
// `close()` kills socat, which is how tests "unplug" a device. The same SimPty the simulated devices use.
import { SimPty } from '../drivers/sim-pty.js';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const pty = await SimPty.create('diemcau-pty');
  await pty.plug(timeoutMs);
  return { a: pty.driverPath, b: pty.simPath, close: () => pty.close() };
}
