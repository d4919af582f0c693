// `agent.restart` from the console: the agent answers first, then stops cleanly (presence `offline`, reason
// `stopped`) and exits with ASKED_RESTART_EXIT_CODE, which the unit counts as a success and restarts whatever
// Restart= says. Under the A/B launcher (as systemd runs it on a box) the launcher passes that code on to systemd
// rather than starting the slot again itself; on the trial start of an update the restart is refused `busy`.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBroker } from '../../lab/mosquitto.js';
import { Observer } from '../../lab/observer.js';
import { CLI, startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';
import { launcherArgv, UNIT_FILE } from '../../lab/unit.js';
import { stopChild } from '../../core/stop-child.js';
import { writeBoot, INSTALLED } from '../../agent/update/slots.js';
import { ASKED_RESTART_EXIT_CODE } from '../../agent/systemd.js';

const LAUNCHER = resolve(import.meta.dirname, '../../agent/update/launcher.js');
const broker = await startBroker();
t.teardown(() => broker.cleanup());
const obs = await Observer.connect(broker.url, ['diemcau/#']);
t.teardown(() => obs.close());

const config = (id: string) => ({ box: { id }, mqtt: { brokers: [broker.url] }, devices: { panel: { simulate: true, talkButton: 17, tallyLed: 22 } } });
const online = (id: string) => obs.wait((m) => m.topic === `diemcau/v1/${id}/presence` && m.json?.state === 'online', `${id} online`, 15000);

/** Asks for the restart; returns the reply and when the offline presence came, after the reply. */
async function restart(t: Test, id: string): Promise<{ reply: any; offline: any }> {
  const since = Date.now();
  const reply = await obs.request(`diemcau/v1/${id}/cmd/agent.restart`, {});
  const offline = await obs.wait((m) => m.topic === `diemcau/v1/${id}/presence` && m.json?.state === 'offline', `${id} offline`, 10000, since);
  const replyMsg = obs.messages.find((m) => m.json === reply)!;
  t.ok(replyMsg.at <= offline.at && obs.messages.indexOf(replyMsg) < obs.messages.indexOf(offline), `${id}: the reply came before the box went offline`);
  return { reply, offline: offline.json };
}

t.test('the unit treats the code as a restart, not a failure', async (t) => {
  const unit = await readFile(UNIT_FILE, 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1].trim().split(/\s+/));
  t.ok(values('SuccessExitStatus').includes(String(ASKED_RESTART_EXIT_CODE)), `SuccessExitStatus= lists ${ASKED_RESTART_EXIT_CODE}`);
  t.ok(values('RestartForceExitStatus').includes(String(ASKED_RESTART_EXIT_CODE)), `RestartForceExitStatus= lists ${ASKED_RESTART_EXIT_CODE}`);
  t.same(values('Restart'), ['always']);
});

t.test('diemcau run: answers, stops cleanly, exits with the restart code', async (t) => {
  const agent = startAgent(await writeConfig(config('vn-90003'), await scratchDir(t, 'diemcau-test-')));
  t.teardown(() => agent.stop('SIGKILL'));
  await online('vn-90003');
  const { reply, offline } = await restart(t, 'vn-90003');
  t.match(reply, { box: 'vn-90003', cmd: 'agent.restart', ok: true, result: { restarting: true, pid: agent.proc.pid } });
  t.equal(offline.reason, 'stopped', 'a clean stop: its own offline presence, not the will');
  const exit = await agent.exited;
  t.same(exit, { code: ASKED_RESTART_EXIT_CODE, signal: null });
  t.ok(agent.lines.some((l) => l.msg === 'restart asked by the centre'), 'the journal says why');
  t.ok(agent.lines.some((l) => l.msg === 'stopped'), 'after a clean stop');
});

/** A box under the launcher with this build in slot a (its entry loads the real CLI, which reads the launcher's
 *  arguments), committed; `trial` puts the same build in slot b on trial, vouched for `expect`. */
async function launcherBox(t: Test, config: unknown, trial?: { devices: string[]; media: boolean }) {
  const root = await mkdtemp(join(tmpdir(), 'diemcau-restart-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'etc'));
  const cfg = join(root, 'etc/config.json');
  await writeFile(cfg, JSON.stringify(config));
  for (const s of trial ? ['a', 'b'] : ['a']) {
    await mkdir(join(root, 'slots', s), { recursive: true });
    await writeFile(join(root, 'slots', s, 'main.mjs'), `await import(${JSON.stringify(pathToFileURL(CLI).href)});\n`);
    await writeFile(join(root, 'slots', s, INSTALLED), JSON.stringify({ version: s === 'a' ? '0.1.0' : '0.2.0', entry: 'main.mjs' }));
  }
  await writeBoot(root, trial ? { committed: 'a', trial: { slot: 'b', version: '0.2.0', starts: 0, expect: trial } } : { committed: 'a' });
  const proc = spawn(process.execPath, launcherArgv({ launcher: LAUNCHER, root, config: cfg }), { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => stopChild(proc, 'SIGTERM', 5000)); // the launcher forwards it to the agent: no orphan left
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { exited, lines: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) };
}

t.test('under the launcher: the code goes on to systemd; the launcher does not start the slot again', async (t) => {
  // Asked the moment the box is online: no trial to settle, so nothing to refuse (it was refused \`busy\` now and
  // then, while the start had not yet found that there was no trial).
  const box = await launcherBox(t, config('vn-90004'));
  await online('vn-90004');
  const { reply } = await restart(t, 'vn-90004');
  t.match(reply, { ok: true, result: { restarting: true } });
  t.equal(await box.exited, ASKED_RESTART_EXIT_CODE, 'the launcher exits with the agent’s code');
  const lines = box.lines();
  t.equal(lines.filter((l) => l.msg === 'launcher: starting').length, 1, 'the slot started once: systemd restarts, not the launcher');
  t.match(lines.find((l) => l.msg === 'launcher: the agent exited; passing its code on to systemd'), {
    code: ASKED_RESTART_EXIT_CODE,
    reason: 'restart asked by the centre',
  });
});

t.test('on the trial start of an update the restart is refused busy: it would roll the update back', async (t) => {
  // The trial waits for a camera the old version vouched for; this one never answers (no such serial port).
  const cfg = { ...config('vn-90005'), devices: { camera: { port: '/dev/ttyUSB-diemcau-none' } } };
  const box = await launcherBox(t, cfg, { devices: ['camera'], media: false });
  await online('vn-90005');
  t.match(box.lines().filter((l) => l.msg === 'launcher: starting').pop(), { slot: 'b', trial: true }, 'the trial of 0.2.0 runs');
  const reply = await obs.request('diemcau/v1/vn-90005/cmd/agent.restart', {});
  t.match(reply, { ok: false, error: { code: 'busy', message: /trial of an update/ } });
});
