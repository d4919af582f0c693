// The four things a box does that write the state it must never lose, each as a scenario the sweep (sweep.ts)
// cuts at every write: the first claim from a factory config, a desired config push, an update (install, trial
// start, commit) and a rollback (a trial that fails its health check). A scenario makes a fresh box on a hall of
// its own, says which states of its config are the old and the new one, and drives the started box through it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyFromPem } from '../../core/bundle.js';
import type { Config } from '../../core/config/schema.js';
import { installBundle } from '../../agent/update/install.js';
import { sleep } from '../wait.js';
import { makeBox, starts, type Box, type Running } from './box.js';
import type { World } from './world.js';

export interface Prepared {
  box: Box;
  boxId: string;
  /** 'old' or 'new' for the two states the config file may be in after a cut; anything else says what is wrong. */
  classify(text: string, cfg: Config): string;
  /** Versions the box may run once it has settled after a cut. */
  versions: readonly string[];
  /** After a restart the config must become the new one by itself (the claim is made again, the push retained). */
  settlesToNew: boolean;
}

export interface Scenario {
  name: string;
  /** What the scenario does, for the report. */
  what: string;
  prepare(dir: string, hall: number): Promise<Prepared>;
  /** Makes the scenario happen on the started box; resolves once it is complete. Gives up when `signal` aborts. */
  drive(p: Prepared, run: Running, since: number, signal: AbortSignal): Promise<void>;
}

/** Polls `read` until it gives something truthy; rejects on abort or after `timeoutMs`. */
export async function poll<T>(what: string, read: () => T | Promise<T>, signal: AbortSignal, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new Error(`gave up waiting for ${what}`);
    const v = await read();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(25);
  }
}

const logged = (run: Running, msg: string, since = 0) => run.lines.find((l) => l.msg === msg && Number(l._at) >= since);

/** The byte-for-byte config the scenario started with is 'old'; `isNew` names the new one. */
function classifier(before: string, isNew: (cfg: Config) => boolean): (text: string, cfg: Config) => string {
  return (text, cfg) => (text === before ? 'old' : isNew(cfg) ? 'new' : `neither the old config nor the new one: ${text.slice(0, 200)}`);
}

/** A claimed box on hall i (claimed before the scenario: the box's own first claim is the claim scenario). */
async function claimedBox(w: World, dir: string, i: number): Promise<{ box: Box; boxId: string; before: string }> {
  const box = await makeBox(dir, w.trees['1.0.0'], (etc) => w.factoryConfig(i, etc));
  await w.claimed(i, box.etc);
  return { box, boxId: w.hall(i).boxId, before: await readFile(box.config, 'utf8') };
}

export function claimScenario(w: World): Scenario {
  return {
    name: `claim (${w.kind})`,
    what: `a factory box's first claim of a ${w.kind} identity: ${w.kind === 'certificate' ? 'box.key, box.crt, ca.crt, ' : ''}update-key.pem, then the config`,
    async prepare(dir, i) {
      const box = await makeBox(dir, w.trees['1.0.0'], (etc) => w.factoryConfig(i, etc));
      const { boxId } = w.hall(i);
      const before = await readFile(box.config, 'utf8');
      return { box, boxId, versions: ['1.0.0'], settlesToNew: true, classify: classifier(before, (c) => !c.claim && c.box.id === boxId) };
    },
    async drive(p, run, since, signal) {
      await poll('claim: identity stored', () => logged(run, 'claim: identity stored'), signal);
      await poll(`${p.boxId} online`, () => w.online(p.boxId, since), signal);
    },
  };
}

export function pushScenario(w: World): Scenario {
  return {
    name: 'config push',
    what: 'a retained desired config (a new hall name) applied and saved',
    async prepare(dir, i) {
      const { box, boxId, before } = await claimedBox(w, dir, i);
      const next = (JSON.parse(before) as Config).configVersion + 1;
      return { box, boxId, versions: ['1.0.0'], settlesToNew: true, classify: classifier(before, (c) => c.configVersion === next && c.hall.name === `Cắt điện ${next}`) };
    },
    async drive(p, _run, since, signal) {
      await poll(`${p.boxId} online`, () => w.online(p.boxId, since), signal);
      const cfg = JSON.parse(await readFile(p.box.config, 'utf8')) as Config;
      const version = cfg.configVersion + 1;
      const at = Date.now();
      await w.ops.publish(`diemcau/v1/${p.boxId}/config/desired`, JSON.stringify({ version, hall: { ...cfg.hall, name: `Cắt điện ${version}` } }), { retain: true });
      const acked = () => w.ops.messages.find((m) => m.at >= at && m.topic === `diemcau/v1/${p.boxId}/state` && m.json?.config?.version === version);
      await poll(`state acknowledging config v${version}`, acked, signal);
    },
  };
}

export function updateScenario(w: World): Scenario {
  return {
    name: 'update',
    what: '2.0.0 downloaded, installed into slot b, started on trial and committed',
    async prepare(dir, i) {
      const { box, boxId, before } = await claimedBox(w, dir, i);
      return { box, boxId, versions: ['1.0.0', '2.0.0'], settlesToNew: false, classify: classifier(before, () => false) };
    },
    async drive(p, run, since, signal) {
      await poll(`${p.boxId} online`, () => w.online(p.boxId, since), signal);
      await w.ops.publish(`diemcau/v1/${p.boxId}/cmd/update`, JSON.stringify({ url: w.bundleUrl('2.0.0'), version: '2.0.0' }), {
        properties: { responseTopic: `diemcau/v1/${p.boxId}/reply/update/powercut`, correlationData: Buffer.from('powercut'), messageExpiryInterval: 60 },
      });
      await poll('update: committed', () => logged(run, 'update: committed'), signal);
    },
  };
}

export function rollbackScenario(w: World): Scenario {
  return {
    name: 'rollback',
    what: "2.0.0 on trial fails its health check (1.0.0 vouched for a camera it does not find) and 1.0.0 runs again",
    async prepare(dir, i) {
      const { box, boxId, before } = await claimedBox(w, dir, i);
      // Installed by the real installer, with what 1.0.0 vouched for; the trial start is the scenario.
      const bundle = join(w.carrier.dir, 'www', '2.0.0.bundle');
      await installBundle({
        root: box.root,
        bundle,
        trustedKeys: [publicKeyFromPem(w.updateKeyPem)],
        installedVersion: '1.0.0',
        inMeeting: () => false,
        expect: { devices: ['camera'], media: false },
      });
      return { box, boxId, versions: ['1.0.0'], settlesToNew: false, classify: classifier(before, () => false) };
    },
    async drive(p, run, _since, signal) {
      const back = () => {
        const s = starts(run);
        const i = s.findIndex((x) => x.trial);
        return i >= 0 ? s.slice(i + 1).find((x) => x.slot === 'a') : undefined;
      };
      const a = await poll('1.0.0 started again after the trial', back, signal);
      await poll(`${p.boxId} online on 1.0.0`, () => w.online(p.boxId, a.at), signal);
    },
  };
}
