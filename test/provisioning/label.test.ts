// The label password: every hall gets one at import (printed on its box's label by the carrier, listed by `codes`),
// a database made before it existed gets them at the next import, and an import rewrites the broker's ACL when this
// version renders it differently (an upgrade that lets boxes publish a new topic), even when no hall changed.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../provisioning/store.js';
import { importHalls } from '../../provisioning/import.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';
import { renderAcl } from '../../provisioning/acl.js';
import { provisionCli } from '../../lab/provision-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'diemcau-label-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const db = join(dir, 'db');
const store = new Store(db);
await store.init();
const csv = join(dir, 'halls.csv');
await writeFile(csv, syntheticCsv({ count: 5, broker: 'mqtt://127.0.0.1:1883' }));

t.test('every hall has its own label password, listed by codes', async (t) => {
  await importHalls(store, csv);
  const ids = Object.values(await store.identities());
  t.equal(ids.length, 5);
  for (const id of ids) t.match(id.label, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/, `${id.boxId}: 12 characters, no look-alikes`);
  t.equal(new Set(ids.map((i) => i.label)).size, 5, 'each different');
  const r = await provisionCli(['codes', '--db', db, '--json']);
  t.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as Array<{ box: string; label: string }>;
  t.same(Object.fromEntries(rows.map((x) => [x.box, x.label])), Object.fromEntries(ids.map((i) => [i.boxId, i.label])), 'codes --json gives each box its label password');
});

t.test('a database from before label passwords gets them at the next import, and the broker files are rewritten', async (t) => {
  const ids = await store.identities();
  for (const id of Object.values(ids)) delete id.label;
  await store.write('identities', ids);
  const r = await importHalls(store, csv);
  t.equal(r.brokerFilesRewritten, true);
  t.ok(Object.values(await store.identities()).every((i) => i.label), 'every hall has one again');
});

t.test('an import rewrites an ACL rendered by an older version, though no hall changed', async (t) => {
  const old = (await store.readText('acl'))!.split('\n').filter((l) => !l.includes('/commissioning')).join('\n');
  await store.write('acl', old);
  const r = await importHalls(store, csv);
  t.equal(r.added.length + r.changed.length, 0, 'no hall changed');
  t.equal(r.brokerFilesRewritten, true, 'the broker files are written again');
  t.equal(await store.readText('acl'), renderAcl(await store.carrier(), Object.values(await store.halls())), 'the ACL is the current rendering');
  t.match(await store.readText('acl'), /commissioning/, 'with the commissioning topic');
  const again = await importHalls(store, csv);
  t.notOk(again.brokerFilesRewritten, 'an import that changes nothing writes nothing');
});
