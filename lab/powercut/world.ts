// What surrounds a box in the power-cut runs: the carrier's database, a real Mosquitto with the rendered ACL (and,
// for certificate identities, the client-certificate listener the halls are served on), the claim service, an
// operator's client logged in as the carrier's service user, signed bundles served over HTTP, and the slot trees.
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { carrierWithBroker, type Carrier } from '../provision-fixture.js';
import { ClaimService } from '../../provisioning/claim-service.js';
import { importHalls } from '../../provisioning/import.js';
import { syntheticCsv, syntheticCommuneCode } from '../../provisioning/synthetic.js';
import { caPaths } from '../../provisioning/ca.js';
import { initKeys, loadPrivateKey, makeBundle } from '../../provisioning/signing.js';
import { parseConfig } from '../../agent/config/load.js';
import { claimOnce } from '../../agent/claim.js';
import { silentLogger } from '../../core/log.js';
import { Observer, type Received } from '../observer.js';
import { slotTree } from './box.js';

export interface World {
  carrier: Carrier;
  kind: 'password' | 'certificate';
  /** The broker URL a factory box claims on. */
  url: string;
  ops: Observer;
  /** The update key the claim hands out (the public half of what signs the bundles). */
  updateKeyPem: string;
  /** Slot trees by version. */
  trees: Record<string, string>;
  /** Where a box downloads the bundle of `version`. */
  bundleUrl(version: string): string;
  /** Hall i: its serial and the box id it becomes. Each run takes a hall of its own. */
  hall(i: number): { serial: string; boxId: string };
  /** A factory config claiming hall i's serial, identity files in `etc`. */
  factoryConfig(i: number, etc: string): unknown;
  /** Claims hall i from this process (a box claimed before the scenario starts); returns the config to store. */
  claimed(i: number, etc: string): Promise<unknown>;
  /** The first `presence: online` of `boxId` received at or after `since` (ms), or null. */
  online(boxId: string, since: number): Received | undefined;
  close(): Promise<void>;
}

export const VERSIONS = ['1.0.0', '2.0.0'] as const;

export async function powercutWorld(halls: number, kind: 'password' | 'certificate'): Promise<World> {
  const tls = kind === 'certificate';
  const carrier = await carrierWithBroker(halls, { serials: true, tls });
  const cleanups: Array<() => Promise<unknown>> = [() => carrier.cleanup()];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    if (tls) {
      // Halls are served by the client-certificate listener; the claim itself uses the password listener.
      await writeFile(carrier.csv, syntheticCsv({ count: halls, broker: `mqtts://127.0.0.1:${carrier.tlsPort}`, serials: true }));
      await importHalls(carrier.store, carrier.csv);
    }
    const { pub } = await initKeys(carrier.store.dir);
    const updateKeyPem = pub.export({ type: 'spki', format: 'pem' }) as string;
    const svc = new ClaimService(carrier.store, { url: carrier.broker.url, log: silentLogger, updateKeyPem, ...(tls ? { ca: caPaths(carrier.store.dir) } : {}) });
    await svc.start();
    cleanups.push(() => svc.stop());
    const cred = await carrier.store.carrier();
    const ops = await Observer.connect(carrier.broker.url, ['diemcau/v1/+/presence', 'diemcau/v1/+/state'], { username: cred.service.username, password: cred.service.password });
    cleanups.push(() => ops.close());

    const trees: Record<string, string> = {};
    const www = join(carrier.dir, 'www');
    await mkdir(www);
    const key = await loadPrivateKey(carrier.store.dir);
    for (const v of VERSIONS) {
      trees[v] = await slotTree(join(carrier.dir, 'trees', v), v);
      await makeBundle({ dir: trees[v], version: v, out: join(www, `${v}.bundle`), key, expiresAt: new Date(Date.now() + 86400_000), entry: 'main.mjs' });
    }
    const http: Server = createServer((req, res) => {
      const f = join(www, (req.url ?? '').replace(/[^a-z0-9.]/gi, ''));
      res.setHeader('content-type', 'application/octet-stream');
      createReadStream(f).on('error', () => res.writeHead(404).end()).pipe(res);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
    const port = (http.address() as { port: number }).port;

    const hall = (i: number) => {
      if (i >= halls) throw new Error(`powercut world: hall ${i} asked for, ${halls} imported`);
      const commune = syntheticCommuneCode(i);
      return { serial: `SN${commune}`, boxId: `vn-${commune}` };
    };
    const factoryConfig = (i: number, etc: string) =>
      parseConfig(
        {
          box: { id: 'unclaimed' },
          mqtt: { brokers: [carrier.broker.url], stateThrottleMs: 50 },
          claim: { serial: hall(i).serial, kind, ...cred.claim, dir: etc, timeoutS: 5 },
        },
        `factory config of hall ${i}`,
      );
    return {
      carrier,
      kind,
      url: carrier.broker.url,
      ops,
      updateKeyPem,
      trees,
      bundleUrl: (v) => `http://127.0.0.1:${port}/${v}.bundle`,
      hall,
      factoryConfig,
      async claimed(i, etc) {
        return claimOnce(join(etc, 'config.json'), factoryConfig(i, etc), silentLogger);
      },
      online: (boxId, since) =>
        ops.messages.find((m) => m.at >= since && m.topic === `diemcau/v1/${boxId}/presence` && m.json?.state === 'online'),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
