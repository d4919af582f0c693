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

/** The carrier's MQTT domain in the lab: the accounts' host (boxes log in with their bare box id). */
export const LAB_DOMAIN = 'mqtt.diemcau.test';
export const MQTT_PORT = 1883;

export interface CarrierCluster {
  dir: string;
  store: Store;
  cluster: EjabberdCluster;
  /** What `ejabberd-conf --json` reported. */
  rendered: { config: string; accountsFile: string; written: number; groups: number };
  cleanup(): Promise<void>;
}

async function cli(args: string[]): Promise<string> {
  const r = await provisionCli(args);
  if (r.code !== 0) throw new Error(`diemcau-provision ${args[0]} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

export async function carrierWithCluster(count: number, opts: { nodes?: number; nofile?: number } = {}): Promise<CarrierCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-cluster-'));
  const db = join(dir, 'db');
  let cluster: EjabberdCluster | null = null;
  try {
    // The halls' broker column is what a claim answer names; here boxes are given the node list directly.
    await writeFile(join(dir, 'halls.csv'), syntheticCsv({ count, broker: `mqtt://${LAB_DOMAIN}:${MQTT_PORT}` }));
    await cli(['init', '--db', db]);
    await cli(['import', join(dir, 'halls.csv'), '--db', db]);
    const rendered = JSON.parse(await cli(['ejabberd-conf', '--domain', LAB_DOMAIN, '--port', String(MQTT_PORT), '--db', db, '--json']));
    cluster = await startEjabberdCluster({ nodes: opts.nodes, config: await readFile(rendered.config, 'utf8'), port: MQTT_PORT, nofile: opts.nofile });
    await cluster.ctl(cluster.nodes.length - 1, ['import_piefxis', rendered.accountsFile]);
    const c = cluster;
    return {
      dir,
      store: new Store(db),
      cluster: c,
      rendered,
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
