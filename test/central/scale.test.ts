// Counts at scale: 400 real agents (in one process, as the fleet bench runs them) on two carriers. The per-group
// counts the server keeps incrementally equal a recount of the halls after churn (halls stopping and coming back);
// a join and a roll call over all count every answer; the live feed stays batched.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig } from '../../lab/central.js';
import { restartInProcessHall, startInProcessHalls, stopInProcessHalls } from '../../lab/in-process-halls.js';
import { PASSWORD, eventually } from './world.js';

const N = 400;
const dir = await mkdtemp(join(tmpdir(), 'diemcau-central-scale-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const brokers = [await startBroker(), await startBroker()];
t.teardown(() => Promise.all(brokers.map((b) => b.cleanup())));
const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'a', url: brokers[0].url }, { name: 'b', url: brokers[1].url }] });
await addOperator(configPath, 'nat', 'national', PASSWORD);
const server = await startCentral(configPath);
t.teardown(() => server.stop());
const nat = await ConsoleClient.login(server.url, 'nat', PASSWORD);
const page = await nat.live();
t.teardown(() => page.close());
const halls = await startInProcessHalls(N, brokers.map((b) => b.url));
t.teardown(() => stopInProcessHalls(halls));

const recount = async () => {
  const rows = (await nat.get(`/api/halls?limit=${N}`)).body.halls;
  const by: Record<string, Record<string, number>> = {};
  for (const r of rows) for (const g of r.groups) {
    const c = (by[g] ??= { total: 0, online: 0, offline: 0 });
    c.total++;
    c[r.state]++;
  }
  return by;
};

t.test('incremental group counts equal a recount, through churn', async (t) => {
  await page.until(() => [...page.groups.values()].reduce((s, g) => s + g.counts.online, 0) === N, `${N} online on the page`, 60000);
  const stopped = halls.filter((_, i) => i % 7 === 0);
  await stopInProcessHalls(stopped);
  await page.until(() => [...page.groups.values()].reduce((s, g) => s + g.counts.offline, 0) === stopped.length, `${stopped.length} offline`, 20000);
  const groups = (await nat.get('/api/groups')).body;
  const by = await recount();
  t.equal(groups.length, 10);
  for (const g of groups) t.same({ total: g.counts.total, online: g.counts.online, offline: g.counts.offline }, { online: 0, offline: 0, ...by[g.group] }, g.group);
  for (const h of stopped) await restartInProcessHall(h);
  await page.until(() => [...page.groups.values()].reduce((s, g) => s + g.counts.online, 0) === N, 'all back', 30000);
  t.same(Object.values(await recount()).reduce((s, c) => s + (c.offline ?? 0), 0), 0);
  const diffs = page.frames.filter((f) => f.msg.t === 'diff').length;
  const changes = page.frames.reduce((s, f) => s + (f.msg.halls?.length ?? 0), 0);
  t.ok(diffs < changes, `batched: ${changes} hall rows in ${diffs} frames`);
});

t.test('a join and a roll call over all count every hall', async (t) => {
  const meeting = (await nat.post('/api/meetings', { title: 'national', bridge: 'http://127.0.0.1:9/janus', room: 1 })).body;
  const j = await nat.post(`/api/meetings/${meeting.id}/join`, { scope: { all: true } });
  t.equal(j.body.asked, N);
  const p = await page.until(() => page.progress.command.get(j.body.id)?.answered === N && page.progress.command.get(j.body.id), 'every join answered', 30000);
  t.match(p, { asked: N, answered: N });
  const rc = await nat.post(`/api/meetings/${meeting.id}/rollcalls`, { scope: { all: true } });
  t.equal(rc.body.counts.asked, N);
  const stored = await eventually(async () => {
    const x = (await nat.get(`/api/rollcalls/${rc.body.id}`)).body;
    return x.counts.answered + x.answers.filter((a: any) => a.error).length === N ? x : null;
  }, 'every hall answered the roll call (or refused it, on agents without it)', 30000);
  t.equal(stored.counts.asked, N);
  t.equal(stored.missing.length, N - stored.counts.answered);
});
