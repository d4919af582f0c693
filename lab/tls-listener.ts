// A broker's TLS listener as a carrier provisions it: the carrier CA and the broker's certificate made by
// provisioning/ca.ts (`diemcau-provision ca`), and boxes that verify the broker against the CA file. Server
// authentication only: the boxes log in as the broker's other settings say (the fleet bench's broker is anonymous).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caPaths, initCa, issueServerCert } from '../provisioning/ca.js';
import { freeTcpPort } from './ports.js';

export interface TlsListener {
  port: number;
  /** mqtts://127.0.0.1:port */
  url: string;
  /** The CA certificate a box is given (`mqtt.tls.ca`). */
  ca: string;
  /** The mosquitto.conf lines of the listener, for startBroker's extraConfig. */
  lines: string[];
  cleanup(): Promise<void>;
}

export async function carrierTlsListener(): Promise<TlsListener> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-tls-ca-'));
  try {
    const ca = caPaths(dir);
    await initCa(ca, 'diemcau bench carrier CA');
    const server = await issueServerCert(ca, ['127.0.0.1', 'localhost']);
    const port = await freeTcpPort();
    return {
      port,
      url: `mqtts://127.0.0.1:${port}`,
      ca: ca.brokerCa,
      lines: [`listener ${port} 127.0.0.1`, `cafile ${ca.brokerCa}`, `certfile ${server.cert}`, `keyfile ${server.key}`],
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
