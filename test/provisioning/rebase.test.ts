// The carrier's way out of a config version that went too high (issue 10, item 4), end to end: a real Mosquitto
// with the rendered password file and ACL, real `diemcau run` processes logged in as their halls, and the real
// `diemcau-provision` CLI. A box pushed to the maximum version by hand refuses every later push as older;
// `diemcau-provision rebase` brings it back onto the carrier's sequence, and normal pushes work again. A carrier
// database whose own record went too high is rebased the same way (`rebase all`).
import t from 'tap';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { carrierWithBroker, login } from '../../lab/provision-fixture.js';
import { startAgent, writeConfig, type AgentProcess } from '../../lab/agent-process.js';
import { provisionCli as cli } from '../../lab/provision-cli.js';

const MAX = 999999999999999;
const c = await carrierWithBroker(2);
t.teardown(() => c.cleanup());
const db = c.store.dir;
const url = c.broker.url;
const ids = await c.store.identities();
const [A, B] = Object.keys(ids).sort();

async function boxConfig(boxId: string): Promise<string> {
  const id = ids[boxId];
  return writeConfig(
    { box: { id: boxId }, mqtt: { brokers: [url], username: id.username, password: id.password, stateThrottleMs: 50 } },
    await mkdtemp(join(c.dir, `${boxId}-`)),
  );
}
const paths: Record<string, string> = { [A]: await boxConfig(A), [B]: await boxConfig(B) };
const agents: Record<string, AgentProcess> = { [A]: startAgent(paths[A]), [B]: startAgent(paths[B]) };
t.teardown(() => Promise.all(Object.values(agents).map((a) => a.stop())));
for (const a of Object.values(agents)) await a.waitLog((l) => l.msg === 'registered with broker', 'registered with the broker');

const saved = async (boxId: string) => JSON.parse(await readFile(paths[boxId], 'utf8'));
const frag = join(c.dir, 'telemetry.json');
async function push(target: string, intervalS: number) {
  await writeFile(frag, JSON.stringify({ telemetry: { intervalS } }));
  const r = await cli(['push', target, frag, '--db', db, '--url', url, '--json', '--wait', '10']);
  return { ...r, json: r.out ? JSON.parse(r.out) : null };
}
async function rebase(target: string) {
  const r = await cli(['rebase', target, '--db', db, '--url', url, '--json', '--wait', '10']);
  let json = null;
  try {
    json = JSON.parse(r.out);
  } catch {
    /* shown by the assertions below */
  }
  return { ...r, json };
}

t.test('a box at the maximum version is rebased onto the carrier sequence', async (t) => {
  const p1 = await push('all', 30);
  t.equal(p1.code, 0, p1.err);
  t.same(p1.json.counts, { applied: 2, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 });

  // Someone with the carrier's credential publishes by hand, past anything the tool would send.
  const carrier = await c.store.carrier();
  const ops = await login(url, carrier.service.username, carrier.service.password, 'ops-by-hand');
  t.teardown(() => ops.endAsync(true));
  await ops.publishAsync(`diemcau/v1/${A}/config/desired`, JSON.stringify({ version: MAX, telemetry: { intervalS: 99 } }), { qos: 1, retain: true });
  for (let i = 0; i < 100 && (await saved(A)).configVersion !== MAX; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal((await saved(A)).configVersion, MAX, 'the box took the maximum (a valid version)');

  const p2 = await push(A, 20);
  t.equal(p2.code, 1, 'the push is refused by the box');
  t.match(p2.json.boxes[0], { boxId: A, status: 'refused', reason: /older than the applied 999999999999999 \(diemcau-provision rebase resets a box's version\)/ });

  const r = await rebase(A);
  t.equal(r.code, 0, `rebase: ${r.err}`);
  t.match(r.json, { target: A, version: 3, rebase: true, counts: { applied: 1, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 } }, 'one more than any version recorded');
  const s = await saved(A);
  t.equal(s.configVersion, 3, 'the box saved the rebased version');
  t.equal(s.telemetry.intervalS, 20, 'and the sections recorded for it (the refused push included)');
  t.equal(s.rebase, undefined);

  const p3 = await push('all', 40);
  t.equal(p3.code, 0, p3.err);
  t.same(p3.json.counts, { applied: 2, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 }, 'normal pushes reach it again');
  t.equal(p3.json.version, 4);
  t.equal((await saved(A)).telemetry.intervalS, 40);
  const recorded = JSON.parse(await readFile(join(db, 'desired.json'), 'utf8'));
  t.equal(recorded[A].rebase, undefined, 'a later push is no longer a rebase');
});

t.test('a carrier record past the maximum: push says so, `rebase all` starts again from 1', async (t) => {
  const p = join(db, 'desired.json');
  const recorded = JSON.parse(await readFile(p, 'utf8'));
  recorded[B].version = MAX; // a database restored from a bad copy, or edited by hand
  await writeFile(p, JSON.stringify(recorded));
  const p1 = await push('all', 50);
  t.equal(p1.code, 2);
  t.match(p1.err, /version: the next version 1000000000000000 would pass the maximum 999999999999999: run `diemcau-provision rebase all`/);
  const r = await rebase('all');
  t.equal(r.code, 0, r.err);
  t.match(r.json, { version: 1, counts: { applied: 2, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 } }, 'both boxes (at v4) take v1');
  t.equal((await saved(A)).configVersion, 1);
  t.equal((await saved(B)).configVersion, 1);
  const p2 = await push('all', 50);
  t.equal(p2.code, 0, p2.err);
  t.equal(p2.json.version, 2);
  t.same(p2.json.counts, { applied: 2, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 });
});

t.test('after a restart the retained rebase is not taken again', async (t) => {
  await agents[A].stop();
  agents[A] = startAgent(paths[A]);
  const started = await agents[A].waitLog((l) => l.msg === 'starting', 'starting line');
  t.equal(started.configVersion, 2);
  const st = await cli(['status', A, '--db', db, '--url', url, '--json']);
  t.same(JSON.parse(st.out).counts, { applied: 1, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 });
  t.equal((await saved(A)).configVersion, 2);
});
