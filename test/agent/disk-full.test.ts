// A full disk under a real agent (issue 10, item 9): the config directory is a 64 KiB tmpfs this test mounts (as
// root), filled to the last byte. A desired config that cannot be saved is refused with `disk_full` and one line
// naming the file; the old config stays in force and on disk; no temp file is left behind; a temp file left by an
// earlier crash is swept when the agent starts; once there is room the refused push is taken by itself. Skipped,
// saying why, where tmpfs cannot be mounted.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { startAgent, writeConfig } from '../../lab/agent-process.js';

const dir = await mkdtemp(join(tmpdir(), 'diemcau-full-'));
let mounted = false;
let skip: string | false = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  skip = `cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`;
}
t.teardown(async () => {
  if (mounted) execFileSync('umount', [dir]);
  await rm(dir, { recursive: true, force: true });
});

/** Fills the file system holding `dir` until a write fails with ENOSPC; returns the filler's path. */
async function fill(): Promise<string> {
  const p = join(dir, 'filler');
  const fh = await open(p, 'w');
  const chunk = Buffer.alloc(1024, 0x55);
  try {
    for (let i = 0; i < 1024; i++) await fh.write(chunk); // bounded: 1 MiB is far more than the 64 KiB mount
    throw new Error('the tmpfs never filled');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close();
  }
  return p;
}
const temps = async () => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));

t.test('a real agent on a full disk', { skip }, async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.cleanup());
  const obs = await Observer.connect(broker.url);
  t.teardown(() => obs.close());
  const ID = 'vn-40021';
  const stateTopic = `diemcau/v1/${ID}/state`;
  const path = await writeConfig({ box: { id: ID }, hall: { name: 'Before', groups: [] }, mqtt: { brokers: [broker.url], stateThrottleMs: 50 } }, dir);
  // What a write interrupted by a crash (or the unfixed agent on a full disk) leaves: swept at the next start.
  const stale = join(dir, `.config.json.999999999.1700000000000.tmp`);
  await writeFile(stale, '{"half":');

  const agent = startAgent(path);
  t.teardown(() => agent.stop());
  await obs.wait((m) => m.topic === `diemcau/v1/${ID}/presence` && m.json?.state === 'online', 'box online');

  t.test('a stale temp file of a dead writer is swept at start', async (t) => {
    t.same(await temps(), [], `left: ${(await temps()).join(', ')}`);
  });

  t.test('a full disk: disk_full naming the file, the old config in force, no temp file left', async (t) => {
    const before = await readFile(path, 'utf8');
    const filler = await fill();
    for (const v of [1, 2, 3]) {
      const since = Date.now();
      await obs.publish(`diemcau/v1/${ID}/config/desired`, JSON.stringify({ version: v, hall: { name: `After ${v}`, groups: [] } }), { retain: true });
      const s = await obs.wait((m) => m.topic === stateTopic && (m.json?.config?.refused?.version === v || m.json?.config?.version === v), `answer to v${v}`, 10000, since);
      t.match(s.json.config, { version: 0, status: 'refused', refused: { version: v, code: 'disk_full' } }, `v${v} refused as disk_full`);
      const msg: string = s.json.config.refused.message;
      t.equal(msg, `${path}: cannot save: the file system is full (ENOSPC)`, 'one line naming the file');
      t.equal(s.json.hall.name, 'Before', 'the old hall config is still in force');
      t.same(await temps(), [], `no temp file left after v${v}`);
    }
    t.equal(await readFile(path, 'utf8'), before, 'the file on disk is the old config, whole');
    const r = await obs.request(`diemcau/v1/${ID}/cmd/ping`, {});
    t.equal(r.ok, true, 'the agent answers');
    // Space again: the last push refused (v3, still the retained desired config) is saved and applied by itself,
    // with no new push and no reconnect to bring it again (before the fix it stayed refused until one came).
    await rm(filler);
    const taken = await obs.wait((m) => m.topic === stateTopic && m.json?.config?.version === 3, 'v3 taken once there is room', 15000, Date.now() - 100);
    t.match(taken.json.config, { version: 3, status: 'applied' }, 'v3 applied without another push');
    t.equal(taken.json.hall.name, 'After 3');
    t.equal(JSON.parse(await readFile(path, 'utf8')).configVersion, 3, 'and saved');
    t.same(await temps(), []);
    // And the next push as usual.
    const since = Date.now();
    await obs.publish(`diemcau/v1/${ID}/config/desired`, JSON.stringify({ version: 4, hall: { name: 'After 4', groups: [] } }), { retain: true });
    const s = await obs.wait((m) => m.topic === stateTopic && m.json?.config?.version === 4, 'ack of v4', 10000, since);
    t.equal(s.json.hall.name, 'After 4');
    t.equal(JSON.parse(await readFile(path, 'utf8')).configVersion, 4);
    t.same(await temps(), []);
  });
});
