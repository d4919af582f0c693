// A VISCA test rig: the real driver (ViscaCamera over a real SerialBytePort or UdpBytePort) against the simulated
// camera at the other end of a socat pty pair or a loopback UDP socket.
import { SerialBytePort } from '../drivers/serial-port.js';
import { UdpBytePort } from '../drivers/udp-port.js';
import { ViscaCamera, type ViscaCameraOptions } from '../drivers/camera/visca-camera.js';
import { SerialSimHost, UdpSimHost, type SimHost } from '../drivers/camera/visca-sim-host.js';
import type { BytePort } from '../drivers/port.js';

export interface Rig {
  transport: 'serial' | 'udp';
  host: SimHost;
  port: BytePort;
  camera: ViscaCamera;
  close(): Promise<void>;
}

export type RigOptions = Partial<Omit<ViscaCameraOptions, 'port' | 'transport'>>;

export async function openRig(transport: 'serial' | 'udp', opts: RigOptions = {}): Promise<Rig> {
  const host = transport === 'serial' ? new SerialSimHost() : new UdpSimHost();
  await host.start();
  let port: BytePort;
  if (transport === 'serial') port = new SerialBytePort({ path: host.target, label: 'camera port' });
  else {
    const [h, p] = host.target.split(':');
    port = new UdpBytePort({ host: h, port: Number(p), label: 'camera port' });
  }
  const camera = new ViscaCamera({ address: 1, answerMs: 500, pollMs: 300, movingPollMs: 100, reopen: { minMs: 100, maxMs: 400 }, ...opts, port, transport });
  return {
    transport,
    host,
    port,
    camera,
    async close() {
      await camera.stop();
      await host.stop();
    },
  };
}

