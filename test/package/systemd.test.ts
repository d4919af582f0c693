// `npm run check:package`: the amd64 package under real systemd. A fresh Debian 12 root (with Mosquitto as the box's
// broker) gets the package with apt and is booted with `systemd-nspawn -b` (systemd as PID 1, its own network
// namespace). The unit, as shipped (WatchdogSec=30, Restart=always, RestartSec=2), must: start and reach READY;
// restart an agent stopped with SIGSTOP through its watchdog, within WatchdogSec of the stop; restart an agent
// killed with SIGKILL through Restart=; say READY for a factory box that waits for its claim; and still reach
// READY, and keep its watchdog fed, when the unix-dgram addon does not load (the slot's addon built for arm64).
// `systemd-analyze security` is quoted. The agent is the launcher's child (MainPID is the launcher): the signals go
// to the agent. Slow (minutes): not in `npm test`.
import t from 'tap';
import { basename, dirname } from 'node:path';
import { bootRoot, cachedRoot, copyRoot, type Booted } from '../../lab/deb-root.js';
import { sleep, waitFor } from '../../lab/wait.js';
import { TEST_ROOT_AMD64, builtDeb } from './debs.js';
import { unitExec } from '../../lab/unit.js';

const deb = builtDeb('amd64');
const WATCHDOG_S = 30;
const started = Date.now();
const lap = (what: string) => t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);

const root = await copyRoot(await cachedRoot(...TEST_ROOT_AMD64), { [dirname(deb)]: '/debs' });
t.teardown(() => root.remove());
const inst = await root.run(['/bin/sh', '-ec', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /debs/${basename(deb)} 2>&1
  printf '{"box":{"id":"vn-90001"},"mqtt":{"brokers":["mqtt://127.0.0.1:1883"]}}' > /etc/diemcau/config.json`], { timeoutMs: 900_000 });
if (inst.code !== 0) throw new Error(`installing the package: ${inst.out}${inst.err}`);
lap('installed');

const box: Booted = await bootRoot(root.dir, `diemcau-check-${process.pid}`);
t.teardown(() => box.stop());
lap('booted');

async function sh(script: string): Promise<string> {
  const r = await box.exec(['/bin/sh', '-ec', script]);
  if (r.code !== 0) throw new Error(`in the booted root: ${script}\nexit ${r.code}: ${r.out}${r.err}`);
  return r.out;
}

interface Unit {
  ActiveState: string;
  SubState: string;
  MainPID: number;
  NRestarts: number;
  StatusText: string;
}
async function unit(): Promise<Unit> {
  const out = await sh('systemctl show diemcau -p ActiveState,SubState,MainPID,NRestarts,StatusText');
  const kv = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { ActiveState: kv.ActiveState, SubState: kv.SubState, MainPID: Number(kv.MainPID), NRestarts: Number(kv.NRestarts), StatusText: kv.StatusText };
}
const now = async () => Number((await sh('date +%s.%N')).trim());
/** Journal lines of the unit since `since` (seconds), each with its time. */
async function journal(since: number): Promise<Array<{ at: number; text: string }>> {
  const out = await sh(`journalctl -u diemcau --since=@${since.toFixed(3)} -o short-unix --no-pager`);
  return out.split('\n').filter((l) => /^\d+\.\d+ /.test(l)).map((l) => ({ at: Number(l.slice(0, l.indexOf(' '))), text: l }));
}
const running = (u: Unit) => u.ActiveState === 'active' && u.SubState === 'running';
/** The agent: the launcher's (MainPID's) child running a slot's cli.js. */
async function agentPid(u: Unit): Promise<number> {
  const pids = (await sh(`cat /proc/${u.MainPID}/task/*/children`)).trim().split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    if (/\/slots\/[ab]\/dist\/agent\/cli\.js/.test(await sh(`tr '\\0' ' ' < /proc/${pid}/cmdline`))) return Number(pid);
  }
  throw new Error(`no agent among the children of ${u.MainPID}: ${pids.join(' ')}`);
}

t.test('the unit starts and reaches READY', async (t) => {
  const u = await waitFor('diemcau registered and active', unit, { until: (x) => running(x) && /^registered with/.test(x.StatusText), timeoutMs: 120_000, everyMs: 500 });
  t.ok(running(u), 'active (running): a Type=notify unit is active only once READY=1 arrived');
  t.equal(u.StatusText, 'registered with mqtt://127.0.0.1:1883', 'STATUS= from the agent');
  t.match(await sh(`tr '\\0' ' ' < /proc/${u.MainPID}/cmdline`), new RegExp(`^/usr/lib/diemcau/node/bin/node ${unitExec().nodeFlags.join(' ')} /usr/lib/diemcau/agent/dist/agent/update/launcher\\.js --root /opt/diemcau`), 'MainPID is the launcher the unit started');
  const agent = await agentPid(u);
  t.match(await sh(`tr '\\0' ' ' < /proc/${agent}/cmdline`), new RegExp(`${unitExec().nodeFlags.join(' ')} /opt/diemcau/slots/a/dist/agent/cli\\.js run --config`), `its child ${agent} is the agent in slot a, with the unit's node flags (${unitExec().nodeFlags.join(' ')})`);
  t.match(await sh('systemctl show diemcau -p WatchdogUSec'), `WatchdogUSec=${WATCHDOG_S}s`, `WatchdogSec=${WATCHDOG_S}`);
  lap('ready');
  // Longer than WatchdogSec: an agent whose heartbeats systemd does not take is killed by now.
  await sleep((WATCHDOG_S + 5) * 1000);
  const later = await unit();
  t.ok(running(later) && later.MainPID === u.MainPID && later.NRestarts === 0, `the same agent ${WATCHDOG_S + 5} s later, never restarted (NRestarts ${later.NRestarts}): the watchdog is fed`);
});

t.test('SIGSTOP: the watchdog restarts the agent within WatchdogSec', async (t) => {
  const u0 = await unit();
  const t0 = await now();
  await sh(`kill -STOP ${await agentPid(u0)}`);
  const u1 = await waitFor('a new agent, active again', unit, { until: (x) => running(x) && x.NRestarts === u0.NRestarts + 1 && x.MainPID !== u0.MainPID, timeoutMs: 120_000, everyMs: 250 });
  const back = (await now()) - t0;
  const timeout = await waitFor('the journal naming the watchdog', async () => (await journal(t0 - 1)).find((l) => /Watchdog timeout/.test(l.text)), { timeoutMs: 30_000, everyMs: 500 });
  t.ok(timeout, `the journal says: ${timeout?.text}`);
  const detected = timeout!.at - t0;
  t.ok(detected <= WATCHDOG_S + 1, `the watchdog fired ${detected.toFixed(1)} s after the stop (WatchdogSec=${WATCHDOG_S}; the last heartbeat came up to WatchdogSec/2 before it)`);
  t.equal(u1.NRestarts, u0.NRestarts + 1, `restarted once; active again ${back.toFixed(1)} s after the stop`);
  t.comment(`SIGSTOP: watchdog fired after ${detected.toFixed(1)} s, agent active again after ${back.toFixed(1)} s`);
  lap('watchdog');
});

t.test('SIGKILL: Restart= starts the agent again', async (t) => {
  const u0 = await unit();
  const t0 = await now();
  await sh(`kill -9 ${await agentPid(u0)}`);
  const u1 = await waitFor('a new agent, active again', unit, { until: (x) => running(x) && x.MainPID !== u0.MainPID && x.NRestarts === u0.NRestarts + 1, timeoutMs: 60_000, everyMs: 100 });
  const back = (await now()) - t0;
  const lines = await journal(t0 - 1);
  const said = lines.find((l) => /"signal":"SIGKILL"/.test(l.text));
  t.ok(said, `the launcher says: ${said?.text}`);
  const exited = lines.find((l) => /Main process exited, code=exited, status=137/.test(l.text));
  t.ok(exited, `systemd saw its main process exit at once: ${exited?.text}`);
  t.equal(u1.NRestarts, u0.NRestarts + 1, `restarted once; active again ${back.toFixed(1)} s after the kill (RestartSec=2)`);
  t.comment(`SIGKILL: agent active again after ${back.toFixed(1)} s`);
  lap('kill -9');
});

t.test('systemd-analyze security', async (t) => {
  const out = (await box.exec(['systemd-analyze', 'security', '--no-pager', 'diemcau.service'])).out;
  const score = /Overall exposure level for diemcau\.service: ([\d.]+) (\S+)/.exec(out);
  t.ok(score, `scored: ${score?.[0]}`);
  t.comment(out);
});

t.test('a factory box waiting for its claim is READY, and says so', async (t) => {
  await sh(`cp -p /etc/diemcau/config.json /etc/diemcau/claimed.json
    printf '{"box":{"id":"unclaimed"},"mqtt":{"brokers":["mqtt://127.0.0.1:1883"]},"claim":{"serial":"PI4B-000123","username":"claim","password":"from-init"},"technician":{"password":"K7Q2-M9XD-4HPA"}}' > /etc/diemcau/config.json
    systemctl restart diemcau`);
  try {
    const u = await waitFor('diemcau active while claiming', unit, { until: (x) => running(x) && /claiming/.test(x.StatusText), timeoutMs: 60_000, everyMs: 250 });
    t.equal(u.StatusText, 'claiming an identity as PI4B-000123', 'active (READY), STATUS says it is claiming');
  } finally {
    // The claimed box back whatever happened here: the next test starts from it.
    await sh('mv /etc/diemcau/claimed.json /etc/diemcau/config.json && systemctl restart diemcau');
  }
  await waitFor('diemcau registered again', unit, { until: (x) => running(x) && /^registered/.test(x.StatusText), timeoutMs: 60_000, everyMs: 250 });
  lap('claim');
});

t.test('the unix-dgram addon does not load: READY and the watchdog go through systemd-notify', async (t) => {
  // The slot's addon as a tree built for the other architecture would have it: its ELF machine is aarch64.
  const addon = '/opt/diemcau/slots/a/node_modules/unix-dgram/build/Release/unix_dgram.node';
  await sh(`printf '\\267\\000' | dd of=${addon} bs=1 seek=18 count=2 conv=notrunc status=none; systemctl restart diemcau`);
  const t0 = await now();
  const u0 = await waitFor('diemcau active without the addon', unit, { until: (x) => running(x) && /^registered/.test(x.StatusText), timeoutMs: 60_000, everyMs: 250 });
  t.ok(running(u0), 'READY arrived through systemd-notify');
  const why = (await journal(t0 - 5)).filter((l) => /unix-dgram/.test(l.text));
  t.equal(why.length, 1, `one line says why: ${why[0]?.text}`);
  t.match(why[0]?.text ?? '', /built for arm64; this node runs on x64/, 'naming the foreign addon');
  // Longer than WatchdogSec: without heartbeats the watchdog would have restarted it.
  await sleep((WATCHDOG_S + 10) * 1000);
  const u1 = await unit();
  t.ok(running(u1) && u1.MainPID === u0.MainPID && u1.NRestarts === u0.NRestarts, `still the same agent after ${WATCHDOG_S + 10} s (NRestarts ${u1.NRestarts}): the watchdog is fed`);
  lap('without the addon');
});
