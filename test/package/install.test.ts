// `npm run check:package`: the amd64 package in a fresh Debian 12 root. apt installs it (and its dependencies from
// Debian); the files, the user and its groups, the unit, `diemcau version`, the config check and every native module
// are checked; the box is given a config and an identity; an upgrade to a second build keeps both byte for byte and
// moves the new version into the other slot; remove keeps them; purge removes them. lintian reports no error on
// the amd64 and arm64 packages. The root is a copy of a cached one (lab/deb-root.ts). Slow: not in `npm test`.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cachedRoot, copyRoot, ROOTS, type Root } from '../../lab/deb-root.js';
import { NATIVES_PROBE, NATIVE_MODULES } from '../../lab/natives-probe.js';
import { TEST_ROOT_AMD64, builtDeb, packageVersion } from './debs.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const run = promisify(execFile);
const version = packageVersion();
const deb = builtDeb('amd64');
const upgradeVersion = `${version}+check1`;

const started = Date.now();
const lap = (what: string) => t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);

// The upgrade: the same tree built again under a later version (gzip: it is installed once, here).
const work = await mkdtemp(join(ROOTS, 'check-install-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const { stdout: upOut } = await run('bash', [join(REPO, 'scripts/package.sh'), '--arch', 'amd64', '--version', upgradeVersion, '--compress', 'gzip', '--out', work], { cwd: REPO, maxBuffer: 16 << 20, timeout: 900_000 });
const upgradeDeb = upOut.trim().split('\n').pop()!;
lap('upgrade package built');

const root: Root = await copyRoot(await cachedRoot(...TEST_ROOT_AMD64), { [dirname(deb)]: '/debs', [work]: '/debs-up' });
t.teardown(() => root.remove());
lap('root ready');

async function sh(script: string, timeoutMs?: number): Promise<string> {
  const r = await root.run(['/bin/sh', '-ec', script], { timeoutMs });
  if (r.code !== 0) throw new Error(`in the root: ${script}\nexit ${r.code}: ${r.out}${r.err}`);
  return r.out;
}

const IDENTITY = ['config.json', 'box.key', 'box.crt', 'carrier-ca.crt', 'update-key.pem'].map((f) => `/etc/diemcau/${f}`);

// What piuparts compares: every path of the root with its owner, mode and (a file's) size, but apt's and dpkg's own
// records, caches and logs, once the package's dependencies are in, and again after the purge.
const SNAPSHOT = `find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /debs -o -path /debs-up \\
  -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/cache -o -path /var/log \\) -prune \\
  -o -type f -printf '%p %u:%g %m %s\\n' -o -printf '%p %u:%g %m\\n' | LC_ALL=C sort`;
let pristine: string[] = [];
let groupsBefore = '';

t.test('apt installs the package on a fresh Debian 12', async (t) => {
  const depends = (await run('dpkg-deb', ['-f', deb, 'Depends'])).stdout.split(',').map((d) => d.trim().split(/\s/)[0]);
  await sh(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${depends.join(' ')} 2>&1`, 900_000);
  pristine = (await sh(SNAPSHOT)).split('\n').filter(Boolean);
  groupsBefore = await sh('for g in dialout gpio video audio; do getent group $g >/dev/null && echo $g; done; true');
  const out = await sh(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /debs/${basename(deb)} 2>&1`, 900_000);
  t.match(await sh('dpkg-query -W -f=\'${Status} ${Version}\' diemcau'), `install ok installed ${version}`, `installed (${out.split('\n').filter((l) => /diemcau/.test(l)).slice(-1)[0] ?? ''})`);
  lap('installed');
});

t.test('files, user, groups, unit, version, config, native modules', async (t) => {
  const files = (await sh('dpkg -L diemcau')).split('\n').filter(Boolean);
  for (const f of ['/usr/bin/diemcau', '/usr/lib/diemcau/node/bin/node', '/usr/lib/diemcau/agent/dist/agent/update/launcher.js', '/lib/systemd/system/diemcau.service', '/usr/share/diemcau/config.json', '/usr/share/doc/diemcau/copyright']) {
    t.ok(files.includes(f), `${f} is in the package`);
  }
  t.same(files.filter((f) => /^\/usr\/lib\/diemcau\/agent\/(dist\/)?(lab|test|bench|provisioning|central)(\/|$)/.test(f)), [], 'no lab/, test/, bench/, provisioning/ or central/ code');
  t.ok(files.some((f) => f.startsWith('/usr/lib/diemcau/agent/dist/agent/')), 'the agent is there (the check above looks in the right place)');
  t.same(files.filter((f) => /^\/(opt|etc|var)\//.test(f)), [], 'nothing under /opt, /etc or /var belongs to dpkg');

  t.match(await sh('id diemcau'), /groups=.*\bdiemcau\b/, 'the service user exists with its own group');
  const groups = (await sh('id -nG diemcau')).trim().split(/\s+/);
  for (const g of ['dialout', 'gpio', 'video', 'audio']) t.ok(groups.includes(g), `diemcau is in ${g}`);
  t.equal(groupsBefore, 'dialout\nvideo\naudio\n', 'a plain Debian root has dialout, video and audio, and no gpio');
  t.ok(Number((await sh('getent group gpio | cut -d: -f3')).trim()) < 1000, 'postinst made gpio a system group (Raspberry Pi OS has its own)');
  t.match(await sh('getent passwd diemcau'), /:\/var\/lib\/diemcau:\/usr\/sbin\/nologin$/m, 'no login; home is its state directory');

  t.match(await sh('stat -c "%U:%G %a" /etc/diemcau /etc/diemcau/config.json /var/lib/diemcau /opt/diemcau'), /^diemcau:diemcau 750\ndiemcau:diemcau 600\ndiemcau:diemcau 750\ndiemcau:diemcau 750\n$/, 'config and state belong to diemcau; the config file is 0600');
  t.same(JSON.parse(await sh('cat /opt/diemcau/boot.json')), { committed: 'a' }, 'slot a is committed');
  t.same(JSON.parse(await sh('cat /opt/diemcau/slots/a/.installed')), { version, entry: 'dist/agent/cli.js' }, 'slot a holds this version');
  t.equal((await sh('stat -c %U /opt/diemcau/slots/a/dist/agent/cli.js')).trim(), 'diemcau', 'the slots belong to the user that updates them');

  t.equal((await sh('systemctl is-enabled diemcau.service || true')).trim(), 'enabled', 'the unit is enabled');
  const verify = await root.run(['systemd-analyze', 'verify', '/lib/systemd/system/diemcau.service']);
  t.equal(verify.code, 0, `systemd-analyze verify: ${(verify.out + verify.err).trim() || 'clean'}`);

  t.equal((await sh('diemcau version')).trim(), version, '`diemcau version`');
  t.match(await sh('runuser -u diemcau -- diemcau config check /etc/diemcau/config.json'), /config\.json: ok \(box unclaimed/, 'the default config is valid');

  const probe = await root.run(['runuser', '-u', 'diemcau', '--', '/usr/lib/diemcau/node/bin/node', '-e', NATIVES_PROBE, '/opt/diemcau/slots/a']);
  const loaded = JSON.parse(probe.out.trim().split('\n').pop() ?? '{}');
  t.same(loaded, Object.fromEntries(NATIVE_MODULES.map((m) => [m, 'ok'])), `every native module loads and works: ${probe.out.trim()} ${probe.err.trim()}`);
  lap('checked');
});

t.test("the factory config baked as docs/install.md says: the agent's, 0600, valid", async (t) => {
  // The doc's step 3 from SERIAL= to EOF, with the card's mount point as this root's /etc/diemcau.
  const doc = await readFile(join(REPO, 'docs/install.md'), 'utf8');
  const bake = /^SERIAL=[\s\S]*?^EOF$/m.exec(doc)?.[0] ?? '';
  t.match(bake, /cat <<EOF \| sudo install .*\$E\/config\.json/, 'docs/install.md has the bake step');
  const script = bake.split('\n').filter((l) => !/\bmount\b/.test(l)).join('\n').replaceAll('sudo ', '')
    .replace('E=/mnt/card/etc/diemcau', 'E=/etc/diemcau').replace('<the claim password from init>', 'claim-pw-from-init');
  await sh(script);
  t.equal((await sh('stat -c "%U:%G %a" /etc/diemcau/config.json')).trim(), 'diemcau:diemcau 600', 'the baked config belongs to diemcau, 0600');
  const cfg = JSON.parse(await sh('cat /etc/diemcau/config.json')) as { claim: { serial: string }; technician: { password: string } };
  t.equal(cfg.claim.serial, 'PI4B-000123', 'the serial');
  t.match(cfg.technician.password, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/, `a label password of the doc's form: ${cfg.technician.password}`);
  t.match(await sh('runuser -u diemcau -- diemcau config check /etc/diemcau/config.json'), /config\.json: ok \(box unclaimed/, '`diemcau config check` says ok');
});

let before = '';
t.test('an upgrade keeps the config and the identity, and moves the version into the other slot', async (t) => {
  // The box as a claimed box has it: its own config (the agent rewrote it) and identity files.
  await sh(`cd /etc/diemcau && printf '{"box":{"id":"vn-26734"},"mqtt":{"brokers":["mqtt://127.0.0.1:1883"]},"technician":{"password":"x7-K9q"}}' > config.json
    for f in box.key box.crt carrier-ca.crt update-key.pem; do head -c 300 /dev/urandom | base64 > $f; done
    chown diemcau:diemcau * && chmod 600 *`);
  before = await sh(`sha256sum ${IDENTITY.join(' ')}; stat -c '%n %U %a' ${IDENTITY.join(' ')}`);
  await sh(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /debs-up/${basename(upgradeDeb)} 2>&1`, 900_000);
  t.equal((await sh('diemcau version')).trim(), upgradeVersion, '`diemcau version` says the new version');
  t.equal(await sh(`sha256sum ${IDENTITY.join(' ')}; stat -c '%n %U %a' ${IDENTITY.join(' ')}`), before, 'config and identity: same bytes, owner and mode');
  t.same(JSON.parse(await sh('cat /opt/diemcau/boot.json')), { committed: 'b' }, 'slot b is committed');
  t.equal(JSON.parse(await sh('cat /opt/diemcau/slots/b/.installed')).version, upgradeVersion, 'slot b holds the new version');
  t.equal(JSON.parse(await sh('cat /opt/diemcau/slots/a/.installed')).version, version, 'slot a keeps the version before');
  const groups = (await sh('id -nG diemcau')).trim().split(/\s+/);
  t.ok(['dialout', 'gpio', 'video', 'audio'].every((g) => groups.includes(g)), `the user keeps its groups: ${groups.join(' ')}`);
  lap('upgraded');
});

t.test('remove keeps config and identity; purge removes them', async (t) => {
  await sh('DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq diemcau 2>&1');
  t.equal(await sh(`sha256sum ${IDENTITY.join(' ')}; stat -c '%n %U %a' ${IDENTITY.join(' ')}`), before, 'after remove: config and identity unchanged');
  t.equal((await sh('ls -d /opt/diemcau /usr/lib/diemcau /lib/systemd/system/diemcau.service 2>/dev/null || true')).trim(), '', 'the code, the slots and the unit are gone');
  await sh('DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq diemcau 2>&1');
  t.equal((await sh('ls -d /etc/diemcau /var/lib/diemcau /opt/diemcau /usr/lib/diemcau 2>/dev/null || true')).trim(), '', 'after purge: nothing of diemcau is left');
  t.equal((await sh('dpkg-query -W -f=\'${db:Status-Status}\' diemcau 2>/dev/null || echo not-installed')).trim(), 'not-installed', 'dpkg keeps nothing of it (not even config-files)');
  t.equal((await sh('ls /etc/systemd/system/multi-user.target.wants/ | grep diemcau || true')).trim(), '', 'no enablement link is left');
  const after = (await sh(SNAPSHOT)).split('\n').filter(Boolean);
  const left = after.filter((l) => !pristine.includes(l));
  const lost = pristine.filter((l) => !after.includes(l));
  // Left on purpose: the user diemcau and the group gpio (Debian leaves system users), so the account files
  // changed, and shadow's backups of them.
  const accounts = /^\/etc\/(passwd|group|shadow|gshadow)-? /;
  t.same(left.filter((l) => !accounts.test(l)), [], 'after purge: no path left or changed that was not there before the install (as piuparts checks)');
  t.same(lost.filter((l) => !accounts.test(l)), [], 'and none of the system\'s removed or changed');
  t.comment(`account files changed: ${left.filter((l) => accounts.test(l)).join(', ')}`);
  lap('removed and purged');
});

t.test('lintian: no errors in either package', async (t) => {
  for (const arch of ['amd64', 'arm64'] as const) {
    const r = await run('lintian', ['--tag-display-limit', '0', builtDeb(arch)], { maxBuffer: 16 << 20, timeout: 900_000 }).catch((e: { stdout: string; stderr: string }) => e);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => /^[EW]: /.test(l));
    t.same(lines.filter((l) => l.startsWith('E: ')), [], `${basename(builtDeb(arch))}: no E: lines (${lines.length} warnings)`);
    t.comment(`lintian ${arch} warnings:\n${lines.join('\n')}`);
  }
  lap('lintian');
});
