// Shared by the provisioning tests: a carrier database made by the real import, and a real Mosquitto running the
// config `diemcau-provision broker-conf` renders for it (password file, ACL, the client-id plugin, and with `tls`
// the client-certificate listener), as a carrier deploys it.
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Store } from '../provisioning/store.js';
import { importHalls } from '../provisioning/import.js';
import { syntheticCsv } from '../provisioning/synthetic.js';
import { renderBrokerConf } from '../provisioning/broker-conf.js';
import { buildBrokerPlugin, pluginPath } from '../provisioning/broker-plugin.js';
import { caPaths, initCa, issueServerCert } from '../provisioning/ca.js';
import { writeCrl } from '../provisioning/crl.js';
import { startBroker, type Broker } from './mosquitto.js';
import { freeTcpPort } from './ports.js';

export interface Carrier {
  dir: string;
  store: Store;
  broker: Broker;
  csv: string;
  /** The client-certificate listener's port, with `tls`. */
  tlsPort?: number;
  cleanup(): Promise<void>;
}

/** `host`: the loopback address the broker listens on (default 127.0.0.1), e.g. one a box's own page is not on. */
export async function carrierWithBroker(count: number, opts: { serials?: boolean; tls?: boolean; host?: string } = {}): Promise<Carrier> {
  const host = opts.host ?? '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-prov-'));
  const store = new Store(join(dir, 'db'));
  await store.init();
  const port = await freeTcpPort();
  const tlsPort = opts.tls ? await freeTcpPort() : undefined;
  const csv = join(dir, 'halls.csv');
  await writeFile(csv, syntheticCsv({ count, broker: `mqtt://${host}:${port}`, serials: opts.serials }));
  await importHalls(store, csv);
  if (opts.tls) {
    // The carrier CA lives in the database, where `ca` and `reset` find it.
    const ca = caPaths(store.dir);
    await initCa(ca);
    await issueServerCert(ca, [host, 'localhost']);
    await writeCrl(ca, []);
  }
  const plugin = pluginPath(store.dir);
  await buildBrokerPlugin(plugin);
  const broker = await startBroker({ port, host, rendered: renderBrokerConf(store, { port, tlsPort, bind: host, plugin }) });
  return {
    dir,
    store,
    broker,
    csv,
    tlsPort,
    async cleanup() {
      await broker.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A box fresh from the factory on this carrier: a temp dir with a config that names no identity, only the claim
 * credential and its serial, as the factory image writes it. `cleanup` removes the dir.
 */
export async function factoryBoxConfig(c: Carrier, serial: string): Promise<{ dir: string; path: string; cleanup(): Promise<void> }> {
  const carrier = await c.store.carrier();
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-factory-'));
  const path = join(dir, 'config.json');
  await writeFile(
    path,
    JSON.stringify({
      box: { id: 'unclaimed' },
      mqtt: { brokers: [c.broker.url] },
      claim: { dir, serial, username: carrier.claim.username, password: carrier.claim.password, timeoutS: 5 },
    }),
  );
  return { dir, path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function login(url: string, username: string, password: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 5, username, password, clientId, reconnectPeriod: 0, connectTimeout: 5000 });
}

/**
 * Whether `reader`, subscribing to `filter`, receives what `writer` publishes on `topic`. Mosquitto 2 grants every
 * SUBSCRIBE and applies read access to each message it would deliver; ejabberd refuses the SUBSCRIBE (SUBACK 0x8F,
 * which mqtt.js rejects): delivery is what is tested, and a refused subscription delivers nothing.
 */
export async function receives(reader: MqttClient, filter: string, writer: MqttClient, topic: string): Promise<boolean> {
  const granted = await reader.subscribeAsync(filter, { qos: 1 }).then(
    () => true,
    () => false,
  );
  const ok = await delivered(writer, reader, topic);
  if (granted) await reader.unsubscribeAsync(filter);
  return ok;
}

/**
 * Publishes from `from` and reports whether `watcher` (already subscribed to `topic`) received it: true as soon as
 * it arrives, false when it has not `waitMs` after the broker acknowledged the publish (a refused publish is
 * acknowledged too, and a delivery goes out before the acknowledgement, so the wait only covers this process).
 */
export async function delivered(from: MqttClient, watcher: MqttClient, topic: string, waitMs = 300): Promise<boolean> {
  const marker = `probe-${Math.random()}`;
  let arrived: () => void = () => {};
  const seen = new Promise<void>((r) => (arrived = r));
  const on = (t: string, p: Buffer) => {
    if (t === topic && p.toString() === marker) arrived();
  };
  watcher.on('message', on);
  await from.publishAsync(topic, marker, { qos: 1 }).catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const got = await Promise.race([seen.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)))]);
  clearTimeout(timer);
  watcher.off('message', on);
  return got;
}
