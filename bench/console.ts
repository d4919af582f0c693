// `npm run bench -- console [--halls 10400] [--procs 2] [--seconds 20] [--json FILE] [--profile DIR]
// [--server-flags a=1,b]` (node flags for the server, without their dashes): the central console at national scale,
// end to end: 10,400 halls that are the fleet bench's agents (the agent's own Agent class, with a simulated
// button panel, thousands per process: fleet-worker.ts) on a real Mosquitto, the real `diemcau-central serve`
// process, and the operators: one headless Chromium page (the page itself, measured from inside) and 19 more live
// feeds (9 national, 10 provincial), each its own login. What is measured, with the floors of issue 12:
//   first_render_ms          page load (navigation start) to every hall drawn on the wall   ≤ 1,500
//   frame_p95_ms             the page's frame times while 1,000 halls change state per s   ≤ 16
//   server_cpu_s_per_s, server_rss_mb, ws_kb_per_s (the Chromium page's feed) at that load  RSS ≤ 250 MB
//   roll_call_all_s          roll call started from the page to every hall counted there   ≤ 10
//   floor_to_console_p95_ms  a hall's talk press (its event/floor) to the entry painted in the page's queue ≤ 500
//                            (a press not on the page within 15 s is lost: floor_lost, and 15,000 ms in the p95)
//   operators                sessions open at once, the Chromium page among them            ≥ 20
// The halls' worker processes run at a lower CPU priority (nice 10): they stand for 10,400 boxes that have their
// own CPUs, on the two cores that also run the server and the browser being measured. `--profile DIR` writes the
// server's CPU profile (node --cpu-prof, at its exit), and the page's during the changes (DevTools Profiler) with a
// trace of its frames (chrome://tracing, Perfetto) there.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import mqtt from 'mqtt';
import { startBroker } from '../lab/mosquitto.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig, type LiveClient } from '../lab/central.js';
import type { Page } from 'playwright-core';
import { launchChromium } from '../lab/chromium.js';
import { openConsole } from '../lab/console-page.js';
import { NOFILE, forkWorkers, rpc, stopWorkers } from './fleet-procs.js';
import { countFeedBytes, floorSeen, startFrames, stopFrames, wallDrawn, watchFloor } from './console-probes.js';
import { flags, percentile, printTable, writeJson } from './report.js';
import { cpuPerSecond, readCpu } from './cpu-share.js';

/** What each process of the bench is, for the CPU shares. */
const role = (cmd: string): string =>
  cmd.includes('central/cli.js') ? 'server' : cmd.includes('fleet-worker.js') ? 'halls' : cmd.includes('mosquitto') ? 'broker' : /chrom/.test(cmd) ? 'browser' : 'other';

const PASSWORD = 'bench console password';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const box = (n: number) => `vn-b${String(n).padStart(5, '0')}`;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

/** CPU seconds and RSS (MB) of a process, from /proc. */
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const x = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  return { cpuS: (Number(x[11]) + Number(x[12])) / 100, rssMb: Number(rss) / 1024 };
}

async function waitUntil(what: string, read: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 250): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await read()); await sleep(everyMs)) {
    if (Date.now() > end) throw new Error(`console bench: no ${what} within ${timeoutMs} ms`);
  }
}

/**
 * `perS` halls change state each second for `seconds` (heard <-> seen, what their media paths report), spread over
 * each second in tenths, each hall in turn (a stride prime to N visits every one); `tick` runs every 100 ms.
 */
async function churn(workers: ChildProcess[], n: number, per: number, perS: number, seconds: number, tick: () => void): Promise<number> {
  const t0 = Date.now();
  let k = 0;
  for (let i = 0; i < seconds * 10; i++) {
    const due = t0 + i * 100;
    if (due > Date.now()) await sleep(due - Date.now());
    const sets: Array<Array<[number, boolean]>> = workers.map(() => []);
    for (let j = 0; j < perS / 10; j++, k++) {
      const hall = (k * 7919) % n;
      sets[Math.min(workers.length - 1, Math.floor(hall / per))].push([hall, Math.floor(k / n) % 2 === 1]);
    }
    workers.forEach((w, p) => w.send({ type: 'media', set: sets[p] }));
    tick();
  }
  return k;
}

interface FloorTimes {
  /** The hall's talk event (its ts) to its entry painted in the page's queue. */
  toPage: number[];
  /** The press sent (panel.sim-press: a 50 ms press, then the debounce) to the same. */
  fromSend: number[];
  /** The two legs: the hall's event to the server's queue (its requestedAt), and from there to the page. */
  toServer: number[];
  serverToPage: number[];
  /** Presses not in the page's queue within PRESS_TIMEOUT_MS: where each was lost (the event, the server, the page). */
  lost: string[];
}

/** How long a press may take to show in the page; one that does not is lost (counted, and at this value in the p95). */
const PRESS_TIMEOUT_MS = 15000;

/**
 * A hall presses talk every `everyMs` (its simulated panel, through the agent's own panel device and meeting code)
 * until `until`, whether or not the requests before are answered (a queue of several, as in a meeting, and as many
 * samples on a slow machine as on a fast one); each request is timed to the page, then revoked.
 */
async function pressTalk(monitorUrl: string, page: Page, api: ConsoleClient, n: number, until: number, everyMs = 350): Promise<FloorTimes> {
  const monitor = await mqtt.connectAsync(monitorUrl, { protocolVersion: 5, clientId: 'bench-console-monitor' });
  const out: FloorTimes = { toPage: [], fromSend: [], toServer: [], serverToPage: [], lost: [] };
  try {
    const pressedAt = new Map<string, number>();
    monitor.on('message', (topic, payload) => {
      const ev = JSON.parse(payload.toString());
      if (ev.action === undefined || ev.action === 'requested') pressedAt.set(topic.split('/')[2], Date.parse(ev.ts));
    });
    await monitor.subscribeAsync('diemcau/v1/+/event/floor', { qos: 1 });
    const press = async (b: string) => {
      const sent = Date.now();
      monitor.publish(`diemcau/v1/${b}/cmd/panel.sim-press`, JSON.stringify({ button: 'talk', ms: 50 }), { qos: 1, properties: { messageExpiryInterval: 10 } });
      const seen = await floorSeen(page, b, PRESS_TIMEOUT_MS).catch(() => null);
      if (seen === null) {
        const queued = ((await api.get('/api/floor')).body.queue as Array<{ box: string }>).some((e) => e.box === b);
        out.lost.push(`${b}: ${!pressedAt.has(b) ? 'no talk event from the hall' : queued ? "in the server's queue, not on the page" : "talk event sent, not in the server's queue"}`);
        out.toPage.push(PRESS_TIMEOUT_MS);
        await api.post(`/api/floor/${b}/revoke`);
        return;
      }
      await waitUntil('the talk event', () => pressedAt.has(b), 5000, 20);
      const pressed = pressedAt.get(b)!;
      out.toPage.push(seen - pressed);
      out.fromSend.push(seen - sent);
      const entry = ((await api.get('/api/floor')).body.queue as Array<{ box: string; requestedAt: string }>).find((e) => e.box === b);
      if (entry) {
        out.toServer.push(Date.parse(entry.requestedAt) - pressed);
        out.serverToPage.push(seen - Date.parse(entry.requestedAt));
      }
      await api.post(`/api/floor/${b}/revoke`);
    };
    const presses: Array<Promise<void>> = [];
    for (let j = 0; Date.now() < until; j++) {
      const p = press(box((j * 211 + 5) % n));
      p.catch(() => {}); // handled by Promise.all below, after the presses still running: not a crash that skips the cleanup
      presses.push(p);
      await sleep(everyMs);
    }
    await Promise.all(presses);
  } finally {
    await monitor.endAsync(true);
  }
  return out;
}

/** A roll call of every hall started from the page's panel; seconds until the page counts every answer. */
async function rollCall(page: Page, n: number): Promise<number> {
  await page.waitForSelector('.rollcall .rc-start:not([disabled])');
  const started = await page.evaluate(() => {
    const t = Date.now();
    document.querySelector<HTMLButtonElement>('.rollcall .rc-start')!.click();
    return t;
  });
  const counted = await page.waitForFunction(
    (all) => (Number(document.querySelector('.rc-counts [data-count=answered] strong')?.textContent?.replace(/\D/g, '')) === all ? Date.now() : null),
    n,
    { timeout: 120000, polling: 'raf' },
  );
  return (((await counted.jsonValue()) as number) - started) / 1000;
}

export async function main(argv: string[]): Promise<void> {
  const f = flags(argv);
  const N = Number(f.get('halls') ?? 10400);
  const P = Number(f.get('procs') ?? 2);
  const CHURN_S = Number(f.get('seconds') ?? 20);
  const PER_S = 1000;
  const profile = f.get('profile');
  if (profile) await mkdir(profile, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-bench-console-'));
  // The carrier broker as `diemcau-provision broker-conf` renders its queue (max_queued_messages: the console takes
  // every hall's retained state at its connect), with room for 10,400 connections.
  const broker = await startBroker({ nofile: NOFILE, extraConfig: ['max_queued_messages 100000', 'set_tcp_nodelay true'] });
  let workers: ChildProcess[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    // The halls: online, then in a meeting and heard, as their media paths would report.
    workers = await forkWorkers(P, { nice: 10 });
    const per = Math.ceil(N / P);
    const t0 = Date.now();
    await Promise.all(
      workers.map((w, p) =>
        rpc(w, { type: 'start', kind: 'agent', prefix: 'b', from: p * per, count: Math.min(per, N - p * per), broker: broker.url, reconnect: { massSpreadS: 30 }, ratePerS: 1500 / P, maxConnecting: 1000, panel: true, communes: true }, 'started'),
      ),
    );
    await Promise.all(workers.map((w) => rpc(w, { type: 'media', all: true }, 'media-set')));
    console.error(`${N} agents started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The server, started after the halls: its picture comes from the retained presence and state.
    const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'bench', url: broker.url }] });
    await addOperator(configPath, 'page', 'national', PASSWORD);
    const others = [
      ...Array.from({ length: 9 }, (_, i) => ({ name: `nat${i + 1}`, role: 'national', groups: [] as string[] })),
      ...Array.from({ length: 10 }, (_, i) => ({ name: `prov${i + 1}`, role: 'provincial', groups: [`p-${String(i).padStart(2, '0')}`] })),
    ];
    for (const o of others) await addOperator(configPath, o.name, o.role, PASSWORD, o.groups);
    const s0 = Date.now();
    const serverFlags = [...(f.get('server-flags')?.split(',').map((x) => `--${x}`) ?? []), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
    const server = await startCentral(configPath, 60000, serverFlags);
    cleanups.push(() => server.stop());
    const pid = server.proc.pid!;
    const api = await ConsoleClient.login(server.url, 'nat1', PASSWORD);
    const heard = async () => (await api.get('/api/halls?state=heard&limit=1')).body.total as number;
    await waitUntil(`picture of ${N} heard halls`, async () => (await heard()) >= N, 180000);
    const pictureMs = Date.now() - s0;
    console.error(`picture of ${N} halls in ${pictureMs} ms`);

    // 19 operators on the live feed, each its own login.
    const feeds: LiveClient[] = [];
    for (const o of others) {
      const c = await ConsoleClient.login(server.url, o.name, PASSWORD);
      const live = await c.live();
      cleanups.push(() => live.close());
      feeds.push(live);
    }
    await Promise.all(feeds.map((l) => l.until(() => l.halls.size > 0 && l.frames[0]?.msg.t === 'snapshot', 'snapshot', 120000)));

    // The Chromium page: logged in through the form, then loaded afresh three times with its session; the last stays.
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const login = await openConsole(browser, server.url, 'page', PASSWORD);
    await login.page.close();
    const renders: Array<{ ms: number; halls: number }> = [];
    let page = login.page;
    const errors = login.errors;
    for (let i = 0; i < 3; i++) {
      if (i > 0) await page.close();
      page = await login.context.newPage();
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      await page.goto(server.url);
      renders.push(await wallDrawn(page, 60000));
    }
    if (renders.some((r) => r.halls !== N)) throw new Error(`console bench: the wall drew ${renders.map((r) => r.halls).join(', ')} halls, not ${N}`);
    console.error(`first render: ${renders.map((r) => Math.round(r.ms)).join(', ')} ms`);
    const feedBytes = await countFeedBytes(page);
    await watchFloor(page);

    // The page at rest first, for the frames this machine gives it without any change coming in.
    await startFrames(page, 'idle');
    await sleep(3000);
    const idle = await stopFrames(page);
    const prof = profile ? await page.context().newCDPSession(page) : null;
    await prof?.send('Profiler.enable');
    await prof?.send('Profiler.start');
    if (profile) await browser.startTracing(page, { path: join(profile, 'page-churn.trace.json'), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline.frame'] });

    // 1,000 halls change state per second, while one hall after another presses talk.
    const c0 = procStats(pid);
    const share0 = readCpu(role);
    const b0 = feedBytes.bytes();
    const l0 = feeds.map((l) => l.frames.reduce((s, x) => s + x.bytes, 0));
    let peakRss = c0.rssMb;
    await startFrames(page, 'churn');
    const w0 = Date.now();
    let ticks = 0;
    const churning = churn(workers, N, per, PER_S, CHURN_S, () => ++ticks % 5 === 0 && (peakRss = Math.max(peakRss, procStats(pid).rssMb)));
    const floor = await pressTalk(broker.url, page, api, N, w0 + (CHURN_S - 1) * 1000);
    const changes = await churning;
    const secs = (Date.now() - w0) / 1000;
    const frames = await stopFrames(page);
    if (prof) await writeFile(join(profile!, 'page-churn.cpuprofile'), JSON.stringify((await prof.send('Profiler.stop')).profile));
    if (profile) await browser.stopTracing();
    const c1 = procStats(pid);
    const share = cpuPerSecond(share0, readCpu(role));
    peakRss = Math.max(peakRss, c1.rssMb);
    const kbPerS = (feedBytes.bytes() - b0) / 1024 / secs;
    const feedKb = feeds.map((l, i) => (l.frames.reduce((s, x) => s + x.bytes, 0) - l0[i]) / 1024 / secs);
    console.error(`churn: ${changes} changes in ${secs.toFixed(1)} s; ${floor.toPage.length} talk presses`);

    // Roll call of every hall, started from the page, to every hall counted there.
    const meeting = await api.post('/api/meetings', { title: 'bench', bridge: 'http://127.0.0.1:9/janus', room: 1 });
    if (meeting.status !== 200) throw new Error(`console bench: creating the meeting: HTTP ${meeting.status}`);
    await startFrames(page, 'rollcall');
    const rollCallS = await rollCall(page, N);
    const rcFrames = await stopFrames(page);
    peakRss = Math.max(peakRss, procStats(pid).rssMb);
    const open = feeds.filter((l) => l.ws.readyState === l.ws.OPEN).length + ((await page.textContent('.feed')) === 'live' ? 1 : 0);

    const result = {
      halls: N,
      hall_kind: 'fleet agents (the Agent class with a simulated panel, in-process, nice 10)',
      operators: open,
      picture_ms: pictureMs,
      first_render_ms: Math.round(sorted(renders.map((r) => r.ms))[1]),
      first_render_all_ms: renders.map((r) => Math.round(r.ms)),
      frame_p95_ms: round(percentile(sorted(frames.times), 95)),
      frame_p99_ms: round(percentile(sorted(frames.times), 99)),
      frame_max_ms: round(Math.max(...frames.times)),
      frames: frames.times.length,
      frame_interval_p95_ms: round(percentile(sorted(frames.intervals), 95)),
      frame_idle_p95_ms: round(percentile(sorted(idle.times), 95)),
      changes_per_s: Math.round(changes / secs),
      server_cpu_s_per_s: round((c1.cpuS - c0.cpuS) / secs, 3),
      server_rss_mb: Math.round(peakRss),
      ws_kb_per_s: round(kbPerS),
      ws_kb_per_s_national_feed: round(feedKb.slice(0, 9).reduce((a, b) => a + b, 0) / 9),
      ws_kb_per_s_provincial_feed: round(feedKb.slice(9).reduce((a, b) => a + b, 0) / 10),
      roll_call_all_s: round(rollCallS, 2),
      roll_call_frame_p95_ms: round(percentile(sorted(rcFrames.times), 95)),
      floor_to_console_p95_ms: Math.round(percentile(sorted(floor.toPage), 95)),
      floor_to_console_p50_ms: Math.round(percentile(sorted(floor.toPage), 50)),
      floor_samples: floor.toPage.length,
      floor_lost: floor.lost.length,
      floor_hall_to_server_p95_ms: Math.round(percentile(sorted(floor.toServer), 95)),
      floor_server_to_page_p95_ms: Math.round(percentile(sorted(floor.serverToPage), 95)),
      press_sent_to_console_p95_ms: Math.round(percentile(sorted(floor.fromSend), 95)),
      page_errors: errors.length,
      chromium: `${browser.version()} headless`,
      cpu_s_per_s_by_part: Object.entries(share.roles).map(([k, v]) => `${k} ${v}`).join(', '),
      machine_busy_cores: `${share.machine} of ${share.cores}`,
      load_avg_1m: share.load1,
    };
    const floors: Record<string, string> = {
      operators: '≥ 20',
      first_render_ms: '≤ 1500',
      frame_p95_ms: '≤ 16',
      server_rss_mb: '≤ 250',
      roll_call_all_s: '≤ 10',
      floor_to_console_p95_ms: '≤ 500',
      floor_lost: '0',
    };
    printTable(`console bench: ${N} halls, ${open} operators, ${CHURN_S} s at ${PER_S} changes/s`, Object.entries(result).map(([metric, value]) => ({ metric, value: Array.isArray(value) ? value.join(', ') : value, floor: floors[metric] ?? '' })));
    if (errors.length) console.error(errors.slice(0, 5).join('\n'));
    if (floor.lost.length) console.error(`talk presses not on the page within ${PRESS_TIMEOUT_MS} ms:\n${floor.lost.join('\n')}`);
    await writeJson(f.get('json'), result);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await stopWorkers(workers);
    await broker.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}
