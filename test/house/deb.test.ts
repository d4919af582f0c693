// The Debian package as built from the staged tree, checked fast (the install under apt and systemd is
// `npm run check:package`, test/package/): scripts/deb/build-deb.sh with this machine's architecture and no
// compression; then its control data, its file list (what is there, what is not, owners and modes, native code
// for this architecture only), its maintainer scripts, the unit and the command pointing into it, its Depends
// against dpkg-shlibdeps, and the unpacked package's own Node running its agent and loading every addon.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { unitExec } from '../../lab/unit.js';
import { NATIVES_PROBE, NATIVE_MODULES } from '../../lab/natives-probe.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const run = promisify(execFile);
const sh = async (cmd: string, args: string[], cwd = repo) => (await run(cmd, args, { cwd, maxBuffer: 64 << 20, timeout: 600_000 })).stdout;
const work = await mkdtemp(join(tmpdir(), 'diemcau-deb-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

const version = (JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
await sh('bash', [join(repo, 'scripts/stage-box.sh'), join(work, 'tree')]);
const node = (await sh('bash', [join(repo, 'scripts/deb/box-node.sh'), arch])).trim();
const deb = (await sh('bash', [join(repo, 'scripts/deb/build-deb.sh'), '--tree', join(work, 'tree'), '--node', node, '--arch', arch, '--out', work, '--compress', 'none'])).trim();
const control = await sh('dpkg-deb', ['-f', deb]);
const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(control)?.[1] ?? '';
// `dpkg-deb -c`: mode, owner/group, size, date, time, ./path[ -> target]
const entries = (await sh('dpkg-deb', ['-c', deb])).trim().split('\n').map((l) => {
  const [mode, owner, , , , ...rest] = l.split(/\s+/);
  return { mode, owner, path: rest.join(' ').replace(/^\.\//, '/').replace(/ -> .*$/, '') };
});
const files = entries.filter((e) => e.mode.startsWith('-')).map((e) => e.path);
const x = join(work, 'x');
await mkdir(x);
await sh('dpkg-deb', ['-x', deb, x]);

t.test('control data', async (t) => {
  t.equal(deb, join(work, `diemcau_${version}_${arch}.deb`), 'named diemcau_<version>_<arch>.deb');
  t.equal(field('Package'), 'diemcau');
  t.equal(field('Version'), version, 'the version of package.json');
  t.equal(field('Architecture'), arch);
  t.ok(Number(field('Installed-Size')) > 50_000, `Installed-Size in KiB: ${field('Installed-Size')}`);
  t.match(field('Depends'), /^adduser, systemd, libc6 \(>= [\d.]+\), libgcc-s1 \(>= [\d.]+\), libstdc\+\+6 \(>= [\d.]+\)$/, `Depends: ${field('Depends')}`);
});

t.test("Depends covers what dpkg-shlibdeps finds in the package's ELF files", async (t) => {
  const elves = files.filter((f) => f.endsWith('.node') || f === '/usr/lib/diemcau/node/bin/node').map((f) => join(x, f));
  const d = join(work, 'shlibs');
  await mkdir(join(d, 'debian'), { recursive: true });
  await run('sh', ['-c', `printf 'Source: diemcau\\n\\nPackage: diemcau\\nArchitecture: any\\n' > debian/control`], { cwd: d });
  const { stdout } = await run('dpkg-shlibdeps', ['-O', ...elves], { cwd: d, maxBuffer: 16 << 20 });
  const found = stdout.replace(/^shlibs:Depends=/, '').trim();
  t.ok(found.length > 0, `dpkg-shlibdeps: ${found}`);
  for (const dep of found.split(', ')) t.ok(field('Depends').includes(dep), `Depends has ${dep}`);
});

t.test('the files: the agent, its Node, the unit, the command, the default config; nothing of the lab', async (t) => {
  for (const f of ['/usr/bin/diemcau', '/usr/lib/diemcau/node/bin/node', '/usr/lib/diemcau/node/LICENSE', '/usr/lib/diemcau/agent/package.json', '/usr/lib/diemcau/agent/dist/agent/cli.js', '/usr/lib/diemcau/agent/dist/agent/update/seed.js', '/lib/systemd/system/diemcau.service', '/usr/share/diemcau/config.json', '/usr/share/doc/diemcau/copyright', '/usr/share/doc/diemcau/changelog.gz', '/usr/share/doc/diemcau/install.md', '/usr/share/lintian/overrides/diemcau']) {
    t.ok(files.includes(f), f);
  }
  t.same(files.filter((f) => /^\/usr\/lib\/diemcau\/agent\/(dist\/)?(lab|test|bench|provisioning|central)\//.test(f)), [], 'no lab/, test/, bench/, provisioning/ or central/ code');
  t.same(files.filter((f) => /\/node_modules\/(tap|typescript|playwright-core|ajv)\//.test(f)), [], 'no dev dependency (@types/node stays: mqtt depends on it)');
  t.same(entries.filter((e) => /^\/(opt|etc|var)\//.test(e.path)).map((e) => e.path), [], 'nothing under /opt, /etc or /var (postinst makes them; the box writes them)');
  t.same(entries.filter((e) => e.owner !== 'root/root').map((e) => e.path), [], 'everything owned by root');
  t.same(entries.filter((e) => e.mode.startsWith('-') && e.mode !== '-rw-r--r--').map((e) => `${e.mode} ${e.path}`).sort(), ['-rwxr-xr-x /usr/bin/diemcau', '-rwxr-xr-x /usr/lib/diemcau/node/bin/node'], 'files 0644 but the two programs');
});

t.test('native code for this architecture only, stripped', async (t) => {
  const addons = files.filter((f) => f.endsWith('.node')).map((f) => f.replace(/^\/usr\/lib\/diemcau\/agent\/node_modules\//, ''));
  const dir = arch === 'amd64' ? 'x64' : 'arm64';
  t.same(addons.sort(), [`@roamhq/wrtc-linux-${dir}/wrtc.node`, `@serialport/bindings-cpp/prebuilds/linux-${dir}/@serialport+bindings-cpp.glibc.node`, 'epoll/build/Release/epoll.node', 'unix-dgram/build/Release/unix_dgram.node'], 'one build of each addon, for this architecture');
  const want = arch === 'amd64' ? 'x86-64' : 'aarch64';
  for (const f of [...files.filter((f) => f.endsWith('.node')), '/usr/lib/diemcau/node/bin/node']) {
    const kind = (await sh('file', ['-b', join(x, f)])).trim();
    t.ok(kind.includes(want) && kind.includes(', stripped'), `${f}: ${kind.slice(0, 90)}`);
  }
});

t.test('maintainer scripts, the unit and the command point into the package', async (t) => {
  const ctl = join(work, 'ctl');
  await mkdir(ctl);
  await sh('dpkg-deb', ['-e', deb, ctl]);
  for (const s of ['postinst', 'prerm', 'postrm']) await t.resolves(run('sh', ['-n', join(ctl, s)]), `${s}: valid sh`);
  t.match(await readFile(join(ctl, 'md5sums'), 'utf8'), /usr\/lib\/diemcau\/node\/bin\/node/, 'md5sums for dpkg --verify');
  t.equal(await readFile(join(x, 'lib/systemd/system/diemcau.service'), 'utf8'), await readFile(join(repo, 'systemd/diemcau.service'), 'utf8'), 'the unit is systemd/diemcau.service');
  const u = unitExec(join(x, 'lib/systemd/system/diemcau.service'));
  t.ok(files.includes(u.node), `ExecStart's node ${u.node} is in the package`);
  t.ok(files.includes(u.script), `ExecStart's script ${u.script} is in the package`);
  const postinst = await readFile(join(ctl, 'postinst'), 'utf8');
  t.ok(files.includes(/^NODE=(.*)$/m.exec(postinst)?.[1] ?? '') && files.includes(`${/^TREE=(.*)$/m.exec(postinst)?.[1]}/dist/agent/update/seed.js`), 'postinst runs the packaged seed with the packaged Node');
  const cmd = /^exec (\S+) (.*) (\S+) "\$@"$/m.exec(await readFile(join(x, 'usr/bin/diemcau'), 'utf8'));
  t.ok(cmd && files.includes(cmd[1]) && files.includes(cmd[3]), `/usr/bin/diemcau runs ${cmd?.[3]} with ${cmd?.[1]}`);
  t.same(cmd?.[2].split(' '), [...AGENT_NODE_FLAGS], "with the agent's node flags");
});

t.test("the package's Node runs its agent and loads every addon", async (t) => {
  const nodeBin = join(x, 'usr/lib/diemcau/node/bin/node');
  const tree = join(x, 'usr/lib/diemcau/agent');
  t.equal((await sh(nodeBin, [...AGENT_NODE_FLAGS, join(tree, 'dist/agent/cli.js'), 'version'])).trim(), version, '`diemcau version`');
  t.match(await sh(nodeBin, [join(tree, 'dist/agent/cli.js'), 'config', 'check', join(x, 'usr/share/diemcau/config.json')]), /config\.json: ok \(box unclaimed, config version 0\)/, 'the default config is valid');
  const probe = JSON.parse((await sh(nodeBin, ['-e', NATIVES_PROBE, tree])).trim());
  t.same(probe, Object.fromEntries(NATIVE_MODULES.map((m) => [m, 'ok'])), 'every addon loads and works');
});
