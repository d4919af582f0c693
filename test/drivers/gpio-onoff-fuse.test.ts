// The real onoff code under the panel device, against an emulated sysfs GPIO tree: the FUSE filesystem in
// lab/gpio-sysfs-emulator.c, mounted at /sys/class/gpio inside a private mount namespace (unshare -m), with a
// Pi 4-style chip (pinctrl-bcm2711 at base 512). Buttons are pressed through the emulator's sim_level hook; edges
// reach onoff through poll(POLLPRI) on the value file, as on a Pi.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../../..');
const source = join(repo, 'lab/gpio-sysfs-emulator.c');
const child = join(here, 'gpio-onoff-child.js');

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(cmd, args, (e, out, err) => res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

t.test('panel device on real onoff lines over emulated sysfs GPIO', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-gpio-fuse-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const flags = await run('pkg-config', ['--cflags', '--libs', 'fuse3']);
  t.equal(flags.code, 0, `pkg-config finds fuse3 (libfuse3-dev): ${flags.err.trim()}`);
  const bin = join(dir, 'gpio-sysfs-emulator');
  const cc = await run('gcc', ['-Wall', '-O2', source, ...flags.out.trim().split(/\s+/), '-o', bin]);
  t.equal(cc.code, 0, `the emulator compiles: ${cc.err.trim()}`);
  const log = join(dir, 'ops.log');
  const script = [
    'set -e',
    'mount -t tmpfs diemcau-sys-class /sys/class',
    'mkdir /sys/class/gpio',
    `"${bin}" -f -s /sys/class/gpio & EMU=$!`,
    'for i in $(seq 100); do [ -e /sys/class/gpio/export ] && break; sleep 0.05; done',
    'set +e',
    `"${process.execPath}" "${child}"; STATUS=$?`,
    // The namespace dies with this shell, taking the mounts with it; the emulator is ended first.
    'kill $EMU; wait $EMU 2>/dev/null',
    'exit $STATUS',
  ].join('\n');
  const proc = spawn('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], {
    env: { ...process.env, GPIO_BASE: '512', GPIO_NGPIO: '58', GPIO_LABEL: 'pinctrl-bcm2711', GPIO_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  clearTimeout(killer);
  t.equal(code, 0, `the child ran to the end (exit ${code}): ${stderr.trim().slice(-500)}`);
  const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');

  t.match(r.health, { status: 'ok' }, 'every line opened through onoff');
  t.same(r.exported, ['gpio517', 'gpio529', 'gpio534', 'gpio535', 'gpio539'], 'exported at 512 + BCM (5, 17, 22, 23, 27)');
  t.same(r.directions, { 17: 'in', 27: 'in', 22: 'out', 23: 'out', 5: 'out' });
  t.same(r.edges, { 17: 'both', 27: 'both' });
  t.same(r.inputs, ['talk', 'mute', 'audio-only'], 'edges reached onoff by poll(); the 10 ms bounce did not');
  t.equal(r.tallyHeard, '1', 'tally lit when heard');
  t.equal(r.tallyIdle, '0');
  t.equal(r.statusIdle, '1');
  t.equal(r.relayAtStart, '0', 'relay opened at its safe level');
  t.same(r.relayAnswer, { relays: { amplifier: true } });
  t.equal(r.relayOn, '1');
  t.same(r.afterStop, ['export', 'gpiochip512', 'unexport'], 'every line unexported at stop');

  const ops = (await readFile(log, 'utf8')).trim().split('\n');
  const relayOps = ops.filter((l) => l.startsWith('/gpio517/') || l === '/export 517' || l === '/unexport 517');
  t.equal(relayOps[0], '/export 517');
  t.equal(relayOps[1], '/gpio517/direction low', 'the relay line became an output already low: no glitch on');
  const unexport = ops.indexOf('/unexport 517');
  const lastValue = ops.slice(0, unexport).filter((l) => l.startsWith('/gpio517/value')).at(-1);
  t.equal(lastValue, '/gpio517/value 0', 'the relay went back to its safe level before it was released');
});
