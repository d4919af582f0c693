// Remote configuration through the real CLI against real Agents that enrolled through the claim flow: push to all,
// to a group and to one hall; applied, refused (with the reason) and offline (applies on return); handover of a
// hall to another broker without a visit.
import t, { type Test } from 'tap';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { carrierWithBroker, login, type Carrier } from '../../lab/provision-fixture.js';
import { ClaimService } from '../../provisioning/claim-service.js';
import { importHalls } from '../../provisioning/import.js';
import { claimOnce } from '../../agent/claim.js';
import { parseConfig, loadConfigFile } from '../../agent/config/load.js';
import { Agent, type MediaFactory } from '../../agent/agent.js';
import { silentLogger } from '../../core/log.js';
import { startBroker } from '../../lab/mosquitto.js';
import { provisionCli } from '../../lab/provision-cli.js';
import { waitFor } from '../../lab/wait.js';
import { scratchDir } from '../../lab/scratch-dir.js';


const cli = provisionCli;

/** A box that claims its identity (by serial) and runs the real Agent as itself. */
async function enrol(t: Test, c: Carrier, serial: string, mediaFactory?: MediaFactory): Promise<{ agent: Agent; path: string }> {
  const carrier = await c.store.carrier();
  const dir = await scratchDir(t, 'diemcau-box-');
  const path = join(dir, 'config.json');
  const factory = parseConfig(
    { box: { id: 'unclaimed' }, mqtt: { brokers: [c.broker.url], stateThrottleMs: 50 }, claim: { serial, ...carrier.claim, dir, timeoutS: 5 } },
    serial,
  );
  await writeFile(path, JSON.stringify(factory));
  const cfg = await claimOnce(path, factory, silentLogger);
  const agent = new Agent({ config: cfg, configPath: path, log: silentLogger, version: '0.1.0', mediaFactory });
  const up = new Promise<void>((r) => agent.link.once('connected', () => r()));
  await agent.start();
  await up;
  return { agent, path };
}

t.test('push, status, offline-then-return, refusal, handover', async (t) => {
  const c = await carrierWithBroker(4, { serials: true });
  t.teardown(() => c.cleanup());
  const svc = new ClaimService(c.store, { url: c.broker.url, log: silentLogger });
  await svc.start();
  t.teardown(() => svc.stop());
  const noCamera: MediaFactory = async () => {
    throw new Error('capture device /dev/video0: no such device');
  };
  const a = await enrol(t, c, 'SN00010');
  const b = await enrol(t, c, 'SN00011');
  const m = await enrol(t, c, 'SN00012', noCamera);
  t.teardown(async () => {
    for (const x of [a, b, m]) await x.agent.stop();
  });
  const db = c.store.dir;
  const url = c.broker.url;
  const frag = join(c.dir, 'telemetry.json');
  await writeFile(frag, JSON.stringify({ telemetry: { intervalS: 30 } }));

  const all = await cli(['push', 'all', frag, '--db', db, '--url', url, '--json', '--wait', '10']);
  t.equal(all.code, 0, all.err);
  const r = JSON.parse(all.out);
  t.same(r.counts, { applied: 3, partial: 0, refused: 0, offline: 1, pending: 0, none: 0 }, 'three online boxes ack, the unclaimed hall is offline');
  t.same(r.boxes.find((x: { boxId: string }) => x.boxId === 'vn-00013'), { boxId: 'vn-00013', online: null, version: r.version, status: 'offline', reason: 'applies on return' }, 'never seen, so not connected');
  const saved = await loadConfigFile(a.path);
  t.equal(saved.telemetry.intervalS, 30, 'the box saved the pushed section');
  t.equal(saved.configVersion, r.version, 'and the version');

  // The offline hall's box arrives later and applies the retained config on its own.
  const late = await enrol(t, c, 'SN00013');
  t.teardown(() => late.agent.stop());
  await waitFor('the late box applying the retained config', () => late.agent.config, { until: (cfg) => cfg.configVersion === r.version });
  t.equal(late.agent.config.telemetry.intervalS, 30, 'the late box applied the retained config');
  const st = JSON.parse((await cli(['status', '--db', db, '--url', url, '--json'])).out);
  t.same(st.counts, { applied: 4, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 }, 'status: all four applied');

  // A group push reaches the group only.
  await writeFile(frag, JSON.stringify({ telemetry: { intervalS: 60 } }));
  const g = JSON.parse((await cli(['push', 'group:r-north', frag, '--db', db, '--url', url, '--json'])).out);
  t.same(g.boxes.map((x: { boxId: string }) => x.boxId), ['vn-00010', 'vn-00013'], 'r-north is halls 0 and 3');
  t.same(g.counts, { applied: 2, partial: 0, refused: 0, offline: 0, pending: 0, none: 0 });
  t.equal(b.agent.config.telemetry.intervalS, 30, 'a hall outside the group is untouched');

  // A hall moves to another region without a visit: re-import (the ACL follows), reload, re-send hall sections.
  await writeFile(c.csv, (await readFile(c.csv, 'utf8')).replace(/(,00011,[^\r\n]*?),central,/, '$1,north,'));
  t.same((await importHalls(c.store, c.csv)).changed, [{ boxId: 'vn-00011', fields: ['groups', 'region'] }]);
  c.broker.proc!.kill('SIGHUP');
  const hallFrag = join(c.dir, 'hall.json');
  await writeFile(hallFrag, JSON.stringify({ hall: {} }));
  const rg = JSON.parse((await cli(['push', 'all', hallFrag, '--db', db, '--url', url, '--json'])).out);
  t.equal(rg.counts.applied, 4);
  t.same(b.agent.config.hall.groups, ['p-02', 'r-north'], 'the moved hall now knows its new group');
  t.equal(b.agent.config.hall.name, 'Hội trường UBND xã 1', 'and keeps its name from the CSV');
  const carrier0 = await c.store.carrier();
  const ops = await login(url, carrier0.service.username, carrier0.service.password, 'ops');
  t.teardown(() => ops.endAsync(true));
  const replies = new Set<string>();
  ops.on('message', (topic) => replies.add(topic.split('/')[2]));
  await ops.subscribeAsync('diemcau/v1/+/reply/ping', { qos: 1 });
  await ops.publishAsync('diemcau/v1/group/r-north/cmd/ping', '{}', { qos: 1, properties: { messageExpiryInterval: 10 } });
  await waitFor('three ping replies', () => replies, { until: (x) => x.size >= 3 });
  t.same([...replies].sort(), ['vn-00010', 'vn-00011', 'vn-00013'], 'a command to r-north reaches the moved hall');
  await writeFile(hallFrag, JSON.stringify({ hall: { groups: ['p-99'] } }));
  t.match((await cli(['push', 'all', hallFrag, '--db', db, '--url', url])).err, /hall\.groups: groups come from the halls CSV/);

  // A config the box takes but cannot start all of is partial, with the step and the box's reason (issue 11: it
  // was called refused, although the box had saved it and runs it).
  const media = join(c.dir, 'media.json');
  await writeFile(media, JSON.stringify({ media: { enabled: true } }));
  const bad = await cli(['push', 'vn-00012', media, '--db', db, '--url', url, '--json']);
  t.equal(bad.code, 1, `exit 1 when a box could not start all of it: ${bad.err}`);
  const br = JSON.parse(bad.out);
  t.equal(br.counts.partial, 1);
  t.equal(br.counts.refused, 0, 'not refused: the box took the version');
  t.match(br.boxes[0].reason, /^media: start: .*video0/, 'the step, and the reason is the box\'s own');
  t.equal(m.agent.config.configVersion, br.version, 'the box runs the new version');
  const human = await cli(['status', 'vn-00012', '--db', db, '--url', url]);
  t.match(human.out, /vn-00012\s+yes\s+\d+\s+partial\s+.*video0/, 'status shows the failed part to people');

  // A push that does not validate is refused before anything is sent.
  await writeFile(media, JSON.stringify({ telemetry: { intervalS: 0 } }));
  const inval = await cli(['push', 'all', media, '--db', db, '--url', url]);
  t.equal(inval.code, 2);
  t.match(inval.err, /media\.json: refused, 1 error\(s\)\n\s+telemetry\.intervalS/, 'the file is refused before any box is looked at');
  await writeFile(media, JSON.stringify({ box: { id: 'x' } }));
  t.match((await cli(['push', 'all', media, '--db', db, '--url', url])).err, /box: not a section a carrier may set/);

  // Handover: another carrier's broker that knows the box (same password file and ACL).
  const other = await startBroker({ extraConfig: [`password_file ${c.store.path('passwd')}`, `acl_file ${c.store.path('acl')}`] });
  t.teardown(() => other.cleanup());
  const carrier = await c.store.carrier();
  const watch = await login(other.url, carrier.service.username, carrier.service.password, 'watch-b');
  t.teardown(() => watch.endAsync(true));
  const arrived = new Promise<string>((res) => watch.on('message', (topic, p) => topic.endsWith('/presence') && res(`${topic} ${p}`)));
  await watch.subscribeAsync('diemcau/v1/+/presence', { qos: 1 });
  const h = await cli(['handover', 'vn-00011', '--to', other.url, '--db', db, '--url', url, '--json']);
  t.equal(h.code, 0, h.err);
  t.equal(JSON.parse(h.out).counts.applied, 1, 'the box acked the handover on the old broker');
  t.match(await arrived, /^diemcau\/v1\/vn-00011\/presence .*"state":"online"/, 'and came online on the new broker as itself');
  t.same((await loadConfigFile(b.path)).mqtt.brokers, [other.url], 'its config names the new broker');
  t.equal((await loadConfigFile(b.path)).mqtt.username, 'vn-00011', 'and keeps its credential');
});
