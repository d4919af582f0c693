// A real pseudo-terminal pair from socat for tests: one end for the driver, one for the simulated device.
// `close()` kills socat, which is how tests "unplug" a device. The same SimPty the simulated devices use.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimPty } from '../../drivers/sim-pty.js';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-pty-'));
  const pty = new SimPty(join(dir, 'a'), join(dir, 'b'));
  await pty.plug(timeoutMs);
  return {
    a: pty.driverPath,
    b: pty.simPath,
    async close() {
      await pty.unplug();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
