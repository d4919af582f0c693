// What a box must be after a cut: first the state on disk as the cut left it (the config validates and is the old
// one or the new one; a claimed config's identity is whole: the update key complete, the certificate's key the box's
// own key), then the box started again as the unit starts it (and again when the launcher ends, as Restart=always
// does, up to UNIT_STARTS): it comes online as itself, settles on a slot (no trial pending, the slot it runs
// committed) holding a good version byte for byte, and leaves nothing of the cut write behind.
import { readFile, readdir } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { loadConfigFile } from '../../agent/config/load.js';
import { readBoot } from '../../agent/update/slots.js';
import type { Config } from '../../core/config/schema.js';
import { isTempName } from '../../core/atomic-file.js';
import { startBox, starts, treeHashes, type Running } from './box.js';
import type { Prepared } from './scenarios.js';
import type { World } from './world.js';
import { sleep } from '../wait.js';

export interface Verdict {
  /** What the cut left: the config's state ('old', 'new') and the version that ran after the restart. */
  left: { config: string; version: string | null; unitStarts: number };
  /** Why the box did not survive; empty: it did. */
  problems: string[];
  /** What a cut left behind in the state directories and the restart did not clear: temp files of a cut write, a
   *  slot tree staged by a cut install (`slots/<x>.new`, as big as a slot). */
  debris: string[];
}

/** Starts of the unit before the box must have settled: a trial that dies ends the launcher once, and the next
 *  start rolls it back. */
const UNIT_STARTS = 3;

async function identityProblems(w: World, p: Prepared, cfg: Config): Promise<string[]> {
  if (cfg.claim) return []; // still a factory box: it claims again
  const out: string[] = [];
  if (cfg.box.id !== p.boxId) out.push(`claimed as ${cfg.box.id}, not ${p.boxId}`);
  const key = await readFile(join(p.box.etc, 'update-key.pem'), 'utf8').catch(() => '(missing)');
  if (key !== w.updateKeyPem) out.push(`update-key.pem is not the carrier's update key (${key.length} bytes)`);
  if (w.kind === 'password') {
    if (cfg.mqtt.username !== p.boxId || !cfg.mqtt.password) out.push(`password identity incomplete: username ${cfg.mqtt.username}, password ${cfg.mqtt.password ? 'set' : 'missing'}`);
    return out;
  }
  const tls = cfg.mqtt.tls;
  if (!tls?.key || !tls.cert || !tls.ca) return [...out, 'certificate identity without key, certificate and CA paths'];
  try {
    const cert = new X509Certificate(await readFile(tls.cert));
    const ca = new X509Certificate(await readFile(tls.ca));
    if (!cert.checkPrivateKey(createPrivateKey(await readFile(tls.key)))) out.push('box.key does not match box.crt');
    if (!cert.verify(ca.publicKey)) out.push('box.crt is not signed by ca.crt');
    if (!cert.subject.includes(`CN=${p.boxId}`)) out.push(`box.crt is for ${cert.subject}, not ${p.boxId}`);
  } catch (err) {
    out.push(`certificate identity unreadable: ${(err as Error).message}`);
  }
  return out;
}

/** The config file's state, or what is wrong with it. */
async function configState(p: Prepared): Promise<{ state: string; cfg: Config | null }> {
  try {
    const cfg = await loadConfigFile(p.box.config);
    return { state: p.classify(await readFile(p.box.config, 'utf8'), cfg), cfg };
  } catch (err) {
    return { state: `config does not validate: ${(err as Error).message.split('\n')[0]}`, cfg: null };
  }
}

interface Settled {
  slot: string;
  version: string;
}

/**
 * Waits for the restarted box to settle: a committed slot running, online as itself after that start. A string
 * says why not; `exited` that the launcher ended (systemd starts it again: Restart=always).
 */
async function settle(w: World, p: Prepared, run: Running, timeoutMs: number): Promise<Settled | { exited: string } | string> {
  const end = Date.now() + timeoutMs;
  let last = 'nothing started';
  for (;;) {
    if (run.gone()) {
      const { code, signal } = await run.exited;
      return { exited: `the launcher exited (${signal ?? code}) after ${last}; last lines: ${JSON.stringify(run.lines.slice(-3))}` };
    }
    const s = starts(run).pop();
    if (s) {
      const boot = await readBoot(p.box.root).catch((err: Error) => err);
      const online = w.online(p.boxId, s.at);
      const cfg = p.settlesToNew ? (await configState(p)).state : 'new';
      last = `${s.version} in slot ${s.slot} (boot record ${boot instanceof Error ? boot.message : JSON.stringify(boot)}, ${online ? 'online' : 'not online'}, config ${cfg})`;
      if (!(boot instanceof Error) && !boot.trial && boot.committed === s.slot && online && cfg === 'new') return { slot: s.slot, version: s.version };
    }
    if (Date.now() > end) return `not settled within ${timeoutMs} ms: last, ${last}`;
    await sleep(50);
  }
}

async function debris(p: Prepared): Promise<string[]> {
  const out: string[] = [];
  for (const d of [p.box.etc, p.box.root]) for (const name of await readdir(d).catch(() => [] as string[])) if (isTempName(name)) out.push(join(d, name));
  const slots = join(p.box.root, 'slots');
  for (const name of await readdir(slots).catch(() => [] as string[])) if (name.endsWith('.new')) out.push(join(slots, name));
  return out;
}

export async function checkAfterCut(w: World, p: Prepared, timeoutMs = 45_000): Promise<Verdict> {
  const problems: string[] = [];
  const { state, cfg } = await configState(p);
  if (state !== 'old' && state !== 'new') problems.push(state);
  if (cfg) problems.push(...(await identityProblems(w, p, cfg)));

  let version: string | null = null;
  let unitStarts = 0;
  for (;;) {
    unitStarts++;
    const run = startBox(p.box);
    let s: Awaited<ReturnType<typeof settle>>;
    try {
      s = await settle(w, p, run, timeoutMs);
    } finally {
      await run.stop();
    }
    if (typeof s === 'object' && 'exited' in s) {
      if (unitStarts < UNIT_STARTS) continue; // systemd's Restart=always
      problems.push(`after ${unitStarts} starts of the unit: ${s.exited}`);
    } else if (typeof s === 'string') problems.push(`after the restart: ${s}`);
    else {
      version = s.version;
      if (!p.versions.includes(s.version)) problems.push(`runs ${s.version}, expected ${p.versions.join(' or ')}`);
      const want = w.trees[s.version] ? await treeHashes(w.trees[s.version]) : null;
      const have = await treeHashes(join(p.box.root, 'slots', s.slot));
      if (!want || JSON.stringify([...want].sort()) !== JSON.stringify([...have].sort())) problems.push(`slot ${s.slot} does not hold ${s.version} byte for byte`);
    }
    break;
  }
  const after = await configState(p);
  if (after.state !== 'old' && after.state !== 'new') problems.push(`after the restart: ${after.state}`);
  return { left: { config: state, version, unitStarts }, problems, debris: await debris(p) };
}
