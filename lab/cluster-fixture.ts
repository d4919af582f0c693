// A carrier on an ejabberd cluster, as the carrier sets it up: `diemcau-provision init`, `import` of synthetic
// halls and `ejabberd-conf` run as commands; the rendered ejabberd.yml on every node; the rendered accounts loaded
// once with `ejabberdctl import_piefxis` on one node (the cluster shares them). For tests and the cluster bench.
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionCli } from './provision-cli.js';
import { startEjabberdCluster, type EjabberdCluster } from './ejabberd.js';
import { Store } from '../provisioning/store.js';
import { syntheticCsv } from '../provisioning/synthetic.js';
import { caPaths } from '../provisioning/ca.js';

/** The carrier's MQTT domain in the lab: the accounts' host (boxes log in with their bare box id). */
export const LAB_DOMAIN = 'mqtt.diemcau.test';
export const MQTT_PORT = 1883;
export const MQTTS_PORT = 8883;

export interface CarrierCluster {
  dir: string;
  store: Store;
  cluster: EjabberdCluster;
  /** What `ejabberd-conf --json` reported. */
  rendered: { config: string; accountsFile: string; written: number; groups: number };
  /** With `tls`: the carrier CA file boxes verify the nodes with (`mqtt.tls.ca`). */
  ca?: string;
  cleanup(): Promise<void>;
}

async function cli(args: string[]): Promise<string> {
  const r = await provisionCli(args);
  if (r.code !== 0) throw new Error(`diemcau-provision ${args[0]} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

/** `tls`: the nodes also listen on MQTTS_PORT, with a broker certificate `diemcau-provision ca` issues for them. */
export async function carrierWithCluster(count: number, opts: { nodes?: number; nofile?: number; tls?: boolean } = {}): Promise<CarrierCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-cluster-'));
  const db = join(dir, 'db');
  let cluster: EjabberdCluster | null = null;
  try {
    // The halls' broker column is what a claim answer names; here boxes are given the node list directly.
    await writeFile(join(dir, 'halls.csv'), syntheticCsv({ count, broker: `mqtt://${LAB_DOMAIN}:${MQTT_PORT}` }));
    await cli(['init', '--db', db]);
    await cli(['import', join(dir, 'halls.csv'), '--db', db]);
    const tlsArgs = opts.tls ? ['--tls-port', String(MQTTS_PORT)] : [];
    const rendered = JSON.parse(await cli(['ejabberd-conf', '--domain', LAB_DOMAIN, '--port', String(MQTT_PORT), ...tlsArgs, '--db', db, '--json']));
    cluster = await startEjabberdCluster({
      nodes: opts.nodes,
      config: await readFile(rendered.config, 'utf8'),
      port: MQTT_PORT,
      tlsPort: opts.tls ? MQTTS_PORT : undefined,
      nofile: opts.nofile,
      // The certificate names every node's address, as the carrier's names its nodes.
      beforeStart: opts.tls ? async (ips) => void (await cli(['ca', '--host', ips.join(','), '--db', db])) : undefined,
    });
    await cluster.ctl(cluster.nodes.length - 1, ['import_piefxis', rendered.accountsFile]);
    const c = cluster;
    return {
      dir,
      store: new Store(db),
      cluster: c,
      rendered,
      ca: opts.tls ? caPaths(db).brokerCa : undefined,
      async cleanup() {
        await c.cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cluster?.cleanup();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
