// The power-cut probe of the durable layer (core/fs-cut.ts, core/atomic-file.ts), in child processes as the power-cut
// tests use it: operations counted across processes, a crash at operation k (what was written stays whole, the
// target untouched), a power cut at k (the bytes not yet fsynced lose their second half, a tree tar filled too, until
// a sync, whichever process of the run is cut), and nothing journalled when the variable is not set.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile, mkdir, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readJournal, parseCut } from '../../core/fs-cut.js';

const DIST = resolve(import.meta.dirname, '../..');
const mod = (p: string) => JSON.stringify(pathToFileURL(join(DIST, p)).href);

const dir = await mkdtemp(join(tmpdir(), 'diemcau-fscut-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** Runs `body` (ESM, with the layer imported as `fs`) in a child with `env`; returns its exit. */
async function child(body: string, env: Record<string, string>): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, `const fs = await import(${mod('core/atomic-file.js')});\n${body}\n`);
  const clean = { ...process.env };
  delete clean.DIEMCAU_FS_JOURNAL;
  delete clean.DIEMCAU_FS_CUT;
  const r = spawnSync(process.execPath, [file], { env: { ...clean, ...env }, encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

const DATA = 'x'.repeat(1000);

t.test('operations are counted across processes, in order', async (t) => {
  const box = await mkdtemp(join(dir, 'count-'));
  const journal = join(box, 'journal');
  for (const name of ['a', 'b']) {
    const r = await child(`await fs.writeFileAtomic(${JSON.stringify(join(box, name))}, ${JSON.stringify(DATA)});`, { DIEMCAU_FS_JOURNAL: journal });
    t.equal(r.status, 0, r.stderr);
  }
  const j = readJournal(journal);
  t.same(j.map((e) => e.n), [1, 2, 3, 4, 5, 6, 7, 8]);
  t.same(j.map((e) => e.op), ['write', 'fsync', 'rename', 'fsyncdir', 'write', 'fsync', 'rename', 'fsyncdir']);
  t.equal(j[2].to, join(box, 'a'));
  t.not(j[0].pid, j[4].pid, 'two processes, one count');
  t.equal(await readFile(join(box, 'b'), 'utf8'), DATA);
});

t.test('without DIEMCAU_FS_JOURNAL nothing is journalled and nothing is cut', async (t) => {
  const box = await mkdtemp(join(dir, 'off-'));
  const r = await child(`await fs.writeFileAtomic(${JSON.stringify(join(box, 'a'))}, 'hello');`, { DIEMCAU_FS_CUT: '1' });
  t.equal(r.status, 0, 'DIEMCAU_FS_CUT alone does nothing');
  t.same(await readdir(box), ['a']);
});

t.test('a crash at operation k: the process is killed before it, what it wrote is whole', async (t) => {
  const box = await mkdtemp(join(dir, 'crash-'));
  const journal = join(box, 'journal');
  await writeFile(join(box, 'a'), 'old');
  const r = await child(`await fs.writeFileAtomic(${JSON.stringify(join(box, 'a'))}, ${JSON.stringify(DATA)});`, { DIEMCAU_FS_JOURNAL: journal, DIEMCAU_FS_CUT: '3' });
  t.equal(r.signal, 'SIGKILL', 'killed with SIGKILL');
  const j = readJournal(journal);
  t.same(j.map((e) => [e.op, e.cut]), [['write', undefined], ['fsync', undefined], ['rename', 'crash']]);
  t.equal(await readFile(join(box, 'a'), 'utf8'), 'old', 'the rename never happened');
  const tmp = (await readdir(box)).find((f) => f.endsWith('.tmp'))!;
  t.equal(await readFile(join(box, tmp), 'utf8'), DATA, 'the temp file is whole: a crash loses no written byte');
});

t.test('a power cut: bytes not fsynced lose their second half; fsynced bytes stay', async (t) => {
  for (const [cut, want] of [['1:torn', 500], ['2:torn', 500], ['3:torn', 1000]] as const) {
    const box = await mkdtemp(join(dir, 'torn-'));
    const r = await child(`await fs.writeFileAtomic(${JSON.stringify(join(box, 'a'))}, ${JSON.stringify(DATA)});`, { DIEMCAU_FS_JOURNAL: join(box, 'journal'), DIEMCAU_FS_CUT: cut });
    t.equal(r.signal, 'SIGKILL');
    const tmp = (await readdir(box)).find((f) => f.endsWith('.tmp'))!;
    t.equal((await stat(join(box, tmp))).size, want, `cut ${cut}: the temp file holds ${want} of 1000 bytes`);
    t.equal(readJournal(join(box, 'journal')).pop()?.cut, 'torn');
  }
});

t.test('a tree another process filled is not durable until syncAll', async (t) => {
  for (const [cut, want] of [['2:torn', 50], ['3:torn', 100]] as const) {
    const box = await mkdtemp(join(dir, 'tree-'));
    const tree = join(box, 'slot');
    await mkdir(tree);
    const body = `await fs.fillDir(${JSON.stringify(tree)}, async () => { const { writeFile } = await import('node:fs/promises'); await writeFile(${JSON.stringify(join(tree, 'f'))}, 'y'.repeat(100)); });
await fs.syncAll();
await fs.makeDir(${JSON.stringify(join(box, 'x'))});
await fs.makeDir(${JSON.stringify(join(box, 'y'))});`;
    const r = await child(body, { DIEMCAU_FS_JOURNAL: join(box, 'journal'), DIEMCAU_FS_CUT: cut });
    t.equal(r.signal, 'SIGKILL');
    t.equal((await stat(join(tree, 'f'))).size, want, `cut ${cut}: the filled file holds ${want} of 100 bytes`);
  }
});

t.test("one process's unsynced writes are lost when another is cut: the page cache is the kernel's", async (t) => {
  const box = await mkdtemp(join(dir, 'shared-'));
  const tree = join(box, 'slot');
  await mkdir(tree);
  const env = { DIEMCAU_FS_JOURNAL: join(box, 'journal') };
  const fill = await child(`await fs.fillDir(${JSON.stringify(tree)}, async () => { const { writeFile } = await import('node:fs/promises'); await writeFile(${JSON.stringify(join(tree, 'f'))}, 'y'.repeat(100)); });`, env);
  t.equal(fill.status, 0, 'the filling process ends normally, without a sync');
  const other = await child(`await fs.makeDir(${JSON.stringify(join(box, 'x'))});`, { ...env, DIEMCAU_FS_CUT: '2:torn' });
  t.equal(other.signal, 'SIGKILL');
  t.equal((await stat(join(tree, 'f'))).size, 50, 'the tree the first process filled lost its unsynced half');
});

t.test('a file renamed before its fsync carries its loss to its new name', async (t) => {
  const box = await mkdtemp(join(dir, 'rename-'));
  const a = join(box, 'a');
  const b = join(box, 'b');
  const body = `const { FsProbe } = await import(${mod('core/fs-cut.js')});
const { writeFileSync, renameSync } = await import('node:fs');
const p = new FsProbe(${JSON.stringify(join(box, 'journal'))}, { at: 2, torn: true });
p.before('write', ${JSON.stringify(a)}); writeFileSync(${JSON.stringify(a)}, 'z'.repeat(10)); p.wrote(${JSON.stringify(a)}, 10);
renameSync(${JSON.stringify(a)}, ${JSON.stringify(b)}); p.renamed(${JSON.stringify(a)}, ${JSON.stringify(b)});
p.before('fsyncdir', ${JSON.stringify(box)});`;
  const r = await child(body, {});
  t.equal(r.signal, 'SIGKILL');
  t.equal(await readFile(b, 'utf8'), 'zzzzz', 'the renamed file lost the half that was never fsynced');
});

t.test('DIEMCAU_FS_CUT is K or K:torn', async (t) => {
  t.same(parseCut('7'), { at: 7, torn: false });
  t.same(parseCut('12:torn'), { at: 12, torn: true });
  t.equal(parseCut(undefined), null);
  for (const bad of ['0', 'x', '3:half', '-1']) t.throws(() => parseCut(bad), /DIEMCAU_FS_CUT=.*expected K or K:torn/, bad);
});
