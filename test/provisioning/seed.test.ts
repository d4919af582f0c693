// The Debian package's postinst puts the tree dpkg installed into the A/B slots (agent/update/seed.ts): a fresh box
// gets slot a; a reconfigure changes nothing; an upgrade goes into the other slot and is committed, keeping the
// version before; an update left on trial is superseded. After each, the real launcher (with the unit's flags)
// runs the version the package brought. The trees are tiny agents that print their version.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readBoot, readInstalled, writeBoot } from '../../agent/update/slots.js';
import { launcherArgv } from '../../lab/unit.js';

const DIST = resolve(import.meta.dirname, '../..');
const SEED = join(DIST, 'agent/update/seed.js');
const work = await mkdtemp(join(tmpdir(), 'diemcau-seed-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const root = join(work, 'opt');

async function tree(version: string): Promise<string> {
  const dir = join(work, `pkg-${version}`);
  await mkdir(join(dir, 'dist/agent'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'diemcau', version }));
  await writeFile(join(dir, 'dist/agent/cli.js'), `console.log('running ${version}');\n`);
  return dir;
}

function run(argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.on('exit', (code) => done({ code, out }));
  });
}

const seed = (from: string) => run([SEED, '--root', root, '--from', from]);
const launch = async () => (await run(launcherArgv({ launcher: join(DIST, 'agent/update/launcher.js'), root, config: join(work, 'c.json') }))).out;

t.test('fresh, reconfigure, upgrade, and an upgrade over an update on trial', async (t) => {
  const v1 = await tree('1.0.0');
  let r = await seed(v1);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /1\.0\.0 installed in .*slots\/a and committed/);
  t.same(await readBoot(root), { committed: 'a' });
  t.match(await launch(), /running 1\.0\.0/, 'the launcher runs it');

  r = await seed(v1);
  t.match(r.out, /1\.0\.0 already committed/, 'configure again: nothing to do');

  const v2 = await tree('1.1.0');
  r = await seed(v2);
  t.match(r.out, /1\.1\.0 installed in .*slots\/b and committed/);
  t.same(await readBoot(root), { committed: 'b' });
  t.equal((await readInstalled(root, 'a'))?.version, '1.0.0', 'the other slot keeps the version before');
  t.match(await launch(), /running 1\.1\.0/);

  // An update (1.2.0 in slot a) was left on trial when the carrier installed 1.3.0 from the package.
  await writeBoot(root, { committed: 'b', trial: { slot: 'a', version: '1.2.0', starts: 0 } });
  r = await seed(await tree('1.3.0'));
  t.match(r.out, /1\.3\.0 installed in .*slots\/a and committed/);
  t.same(await readBoot(root), { committed: 'a' }, 'the trial is superseded');
  t.match(await launch(), /running 1\.3\.0/);
  t.same(JSON.parse(await readFile(join(root, 'slots/a/.installed'), 'utf8')), { version: '1.3.0', entry: 'dist/agent/cli.js' });
});

t.test('bad arguments and a missing tree are refused in one line', async (t) => {
  const r = await seed(join(work, 'nope'));
  t.equal(r.code, 1);
  t.match(r.out, /^diemcau: could not install .*nope into .*opt: ENOENT/);
  const u = await run([SEED, '--root', root]);
  t.equal(u.code, 2);
  t.match(u.out, /^usage: seed --root DIR --from TREE/);
});
