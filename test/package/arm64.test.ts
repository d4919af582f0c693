// `npm run check:package`: the arm64 package in a fresh arm64 Debian 12 root, run under qemu-user-static. apt
// installs it; `diemcau version` runs on the Node it ships, and every native module (built in an arm64 root, or
// serialport's and wrtc's arm64 prebuilds) loads and works there. Slow (everything is emulated): not in `npm test`.
import t from 'tap';
import { basename, dirname } from 'node:path';
import { cachedRoot, copyRoot } from '../../lab/deb-root.js';
import { NATIVES_PROBE, NATIVE_MODULES } from '../../lab/natives-probe.js';
import { TEST_ROOT_ARM64, builtDeb, packageVersion } from './debs.js';

const deb = builtDeb('arm64');
const started = Date.now();
const lap = (what: string) => t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
const root = await copyRoot(await cachedRoot(...TEST_ROOT_ARM64), { [dirname(deb)]: '/debs' });
t.teardown(() => root.remove());
lap('root ready');

t.test('installed with apt, it runs and its native modules load under qemu', async (t) => {
  const arch = await root.run(['dpkg', '--print-architecture']);
  const uname = await root.run(['uname', '-m']);
  t.equal(`${arch.out.trim()} ${uname.out.trim()}`, 'arm64 aarch64', 'an arm64 root, running aarch64 code');
  const inst = await root.run(['/bin/sh', '-ec', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /debs/${basename(deb)} 2>&1`], { timeoutMs: 1_800_000 });
  t.equal(inst.code, 0, `apt-get install: ${(inst.out + inst.err).trim().split('\n').slice(-3).join(' | ')}`);
  lap('installed');
  const file = await root.run(['/bin/sh', '-c', 'od -An -tx1 -j18 -N2 /usr/lib/diemcau/node/bin/node']);
  t.equal(file.out.trim(), 'b7 00', 'the shipped node is an aarch64 ELF (e_machine 183)');
  const v = await root.run(['diemcau', 'version']);
  t.equal(v.out.trim(), packageVersion(), '`diemcau version`');
  const boot = await root.run(['cat', '/opt/diemcau/boot.json']);
  t.same(JSON.parse(boot.out), { committed: 'a' }, 'postinst (the seed, run by the arm64 node) committed slot a');
  const probe = await root.run(['runuser', '-u', 'diemcau', '--', '/usr/lib/diemcau/node/bin/node', '-e', NATIVES_PROBE, '/opt/diemcau/slots/a'], { timeoutMs: 600_000 });
  const loaded = JSON.parse(probe.out.trim().split('\n').pop() ?? '{}');
  t.same(loaded, Object.fromEntries(NATIVE_MODULES.map((m) => [m, 'ok'])), `every native module loads and works: ${probe.out.trim()} ${probe.err.trim()}`);
  lap('checked');
});
