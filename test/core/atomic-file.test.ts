// The sweep of temp files cut writes leave (core/atomic-file.ts). After a power cut the box boots again and pids
// start over: the pid in a dead writer's temp file may belong to a live process now, even to the sweeping agent
// itself (a box boots the same way each time). A temp file from an earlier boot is swept whatever its pid; one of
// a live writer of this boot is kept; one of a dead writer of this boot is swept.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sweepStaleTemps } from '../../core/atomic-file.js';

const dir = await mkdtemp(join(tmpdir(), 'diemcau-atomic-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const thisBoot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim().replace(/-/g, '').slice(0, 8);
const otherBoot = thisBoot === '0badb007' ? '0badb008' : '0badb007';

t.test('a temp file from an earlier boot is swept even when its pid is alive now', async (t) => {
  const d = await mkdtemp(join(dir, 'sweep-'));
  const earlier = `.config.json.${process.pid}.1700000000000.b${otherBoot}.tmp`; // this very process's pid
  const live = `.config.json.${process.pid}.${Date.now()}.b${thisBoot}.tmp`;
  const dead = `.config.json.999999999.${Date.now()}.b${thisBoot}.tmp`;
  const legacyDead = '.config.json.999999999.1700000000000.tmp'; // named before temp names carried the boot
  for (const f of [earlier, live, dead, legacyDead]) await writeFile(join(d, f), '{"half":');
  const swept = await sweepStaleTemps(d);
  t.same(swept.sort(), [earlier, dead, legacyDead].sort(), 'the earlier boot\'s and the dead writers\' temp files are swept');
  t.same(await readdir(d), [live], 'the live writer of this boot keeps its temp file');
});

t.test('a writer killed before its rename leaves a temp file named with its pid and boot; the sweep removes it', async (t) => {
  const d = await mkdtemp(join(dir, 'killed-'));
  const script = join(d, 'writer.mjs');
  await writeFile(script, `const { writeFileAtomic } = await import(${JSON.stringify(pathToFileURL(resolve(import.meta.dirname, '../../core/atomic-file.js')).href)});\nawait writeFileAtomic(${JSON.stringify(join(d, 'config.json'))}, 'new');\n`);
  // Killed by the layer's probe before operation 3, the rename (core/fs-cut.ts).
  const r = spawnSync(process.execPath, [script], { env: { ...process.env, DIEMCAU_FS_JOURNAL: join(dir, `journal-${Date.now()}`), DIEMCAU_FS_CUT: '3' } });
  t.equal(r.signal, 'SIGKILL');
  const left = (await readdir(d)).filter((f) => f.endsWith('.tmp'));
  t.equal(left.length, 1, 'one temp file left');
  t.match(left[0], new RegExp(`^\\.config\\.json\\.${r.pid}\\.\\d+\\.b${thisBoot}\\.tmp$`), 'named with the writer\'s pid and this boot');
  t.same(await sweepStaleTemps(d), left, 'swept: its writer is gone');
  t.same(await readdir(d), ['writer.mjs']);
});
