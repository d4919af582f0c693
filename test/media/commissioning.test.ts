// docs/commissioning.md, as a technician does it: a box built from the doc's factory config (its devices simulated,
// its broker and bridge the lab's) runs `diemcau run` unclaimed; the hall's TV shows the page's address (read by
// zbarimg); a phone (Debian's Chromium at 390x844) logs in with the label password, reads the box, mistypes the
// install code, claims the box with the code `diemcau-provision codes` printed (a real `diemcau-provision serve` and
// Mosquitto with the rendered ACL), sees the camera picture and the mic meter move, runs the self-test against a
// real Janus and sends the report, which `diemcau-provision report` shows. The doc's commands run as written (with
// this test's box id); the doc's screenshots are made here, each checked not blank.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { carrierWithBroker, type Carrier } from '../../lab/provision-fixture.js';
import { PROVISION_CLI, provisionCli } from '../../lab/provision-cli.js';
import { CLI, startAgent, writeConfig, type AgentProcess } from '../../lab/agent-process.js';
import { startLocalJanus } from '../../lab/janus.js';
import { launchChromium } from '../../lab/chromium.js';
import { distinctColors } from '../../lab/console-page.js';
import { pageLogin, pageRequest } from '../../lab/technician-page.js';
import { zbarRead } from '../../lab/qr-read.js';
import { decodeJpeg, lumaSpread } from '../../lab/media/jpeg-read.js';
import { freeTcpPort } from '../../lab/ports.js';
import { readStampI420 } from '../../agent/media/frames/frame-stamp.js';
import { stopChild } from '../../core/stop-child.js';
import { waitFor } from '../../lab/wait.js';

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/commissioning.md', import.meta.url)), 'utf8');
const IMG = fileURLToPath(new URL('../../../docs/img/', import.meta.url));
const DOC_BOX = 'vn-26734';
const BOX = 'vn-00011';
const LABEL = 'label-R4t-8812';
const factory = JSON.parse(/```json\n([\s\S]*?)```/.exec(DOC)![1]);
/** The doc's `diemcau-provision` lines, as the technician types them. */
const docCommands = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n')).filter((l) => l.startsWith('diemcau-provision '));

let janus: Awaited<ReturnType<typeof startLocalJanus>>;
let carrier: Carrier;
let serve: ChildProcess;
let agent: AgentProcess;
let browser: Browser;
/** Chromium starting beside the bridge and the carrier (teardown closes it even if the before failed meanwhile). */
let launching: Promise<Browser> | undefined;
let context: BrowserContext;
let page: Page;
let url: string;
let work: string;
const errors: string[] = [];

/** A command of the doc, run as written but for the box id, in the work directory, on the lab's database. */
function docCommand(start: string): Promise<{ code: number | null; out: string; err: string }> {
  const line = docCommands.find((l) => l.startsWith(start));
  if (!line) throw new Error(`docs/commissioning.md has no "${start}" command`);
  const args = line.replaceAll(DOC_BOX, BOX).split(/\s+/).slice(1);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [PROVISION_CLI, ...args], { cwd: work, env: { ...process.env, DIEMCAU_DB: carrier.store.dir } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** Saved for the docs once the browser has decoded it and found it is not blank (a card has few colours). */
async function shot(t: Test, name: string, png: Buffer, atLeast = 50): Promise<void> {
  const n = await distinctColors(page, png);
  t.ok(n > atLeast, `${name}: not blank (${n} distinct colours)`);
  await writeFile(join(IMG, name), png);
}

/** A screenshot of the page from the top of one section to the bottom of another. */
async function sections(from: string, to: string): Promise<Buffer> {
  const [top, bottom] = await page.evaluate(
    ([a, b]) => [document.querySelector(a)!.getBoundingClientRect().top + scrollY, document.querySelector(b)!.getBoundingClientRect().bottom + scrollY],
    [from, to],
  );
  return page.screenshot({ clip: { x: 0, y: top - 8, width: 390, height: bottom - top + 16 }, fullPage: true });
}

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'diemcau-visit-'));
  await mkdir(IMG, { recursive: true });
  // The bridge, the carrier and the phone's browser do not need each other: started at once.
  launching = launchChromium();
  [janus, carrier] = await Promise.all([startLocalJanus(), carrierWithBroker(3, { host: '127.0.0.3' })]);
  serve = spawn(process.execPath, [PROVISION_CLI, 'serve', '--url', carrier.broker.url], { env: { ...process.env, DIEMCAU_DB: carrier.store.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let served = '';
  serve.stdout!.on('data', (d) => (served += d));
  const answering = waitFor('diemcau-provision serve answering', () => served.includes('serve: answering claims'), { timeoutMs: 15_000 });

  // The doc's factory config, checked as written, then made this lab's box: its broker and bridge, its devices
  // simulated, its LAN the loopback (the broker is on 127.0.0.3: the page answers 127.0.0.1 and never the broker).
  await writeFile(join(work, 'factory.json'), JSON.stringify(factory));
  const check = await new Promise<number | null>((r) => spawn(process.execPath, [CLI, 'config', 'check', join(work, 'factory.json')]).on('exit', r));
  await answering;
  if (check !== 0) throw new Error("docs/commissioning.md's factory config does not pass `diemcau config check`");
  const c = await carrier.store.carrier();
  const port = await freeTcpPort();
  const dir = await mkdtemp(join(work, 'etc-'));
  const config = {
    ...factory,
    mqtt: { brokers: [carrier.broker.url], stateThrottleMs: 200 },
    claim: { ...factory.claim, dir, username: c.claim.username, password: c.claim.password, timeoutS: 5 },
    technician: { ...factory.technician, password: LABEL, interface: 'lo', address: '127.0.0.1', port, selftest: { bridge: janus.url, room: janus.rooms[0] } },
    devices: {
      camera: { simulate: true },
      display: { ...factory.devices.display, port: undefined, simulate: true },
      panel: { ...factory.devices.panel, simulate: true },
    },
    media: { ...factory.media, simulate: true, width: 640, height: 360 },
  };
  agent = startAgent(await writeConfig(config, dir));
  url = String((await agent.waitLog((l) => l.msg === 'technician page: open', 'the technician page', 30_000)).url);
  browser = await launching;
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
});

t.teardown(async () => {
  await context?.close().catch(() => {});
  await (browser ?? (await launching?.catch(() => undefined)))?.close().catch(() => {});
  await agent?.stop();
  if (serve) await stopChild(serve, 'SIGTERM', 5000);
  await carrier?.cleanup();
  await janus?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

t.afterEach(async (t) => {
  if (!t.passing()) t.comment(agent.lines.slice(-25).map((l) => JSON.stringify(l)).join('\n'));
});

t.test('1. the TV shows the serial, the page address and its QR code', async (t) => {
  const s = await pageLogin(url, LABEL);
  const tv = await pageRequest(url, '/api/tv.jpg', { cookie: s.cookie });
  t.equal(tv.headers['content-type'], 'image/jpeg');
  await writeFile(join(work, 'tv.jpg'), tv.body);
  // Kept in the docs as PNG, at the TV picture's size.
  const png = join(work, 'tv.png');
  await new Promise((r) => spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(work, 'tv.jpg'), '-y', png]).on('exit', r));
  t.same(await zbarRead(png), [url], `a phone's camera reads ${url} off the TV`);
  await page.goto('about:blank');
  await shot(t, 'commissioning-tv.png', await readFile(png), 10);
});

t.test('2. the phone opens the page and logs in with the label password', async (t) => {
  await page.goto(url);
  await page.fill('#password', 'not-the-label');
  await page.click('#login button[type=submit]');
  await page.locator('#login-outcome', { hasText: 'Wrong password (4 more tries' }).waitFor();
  t.pass('a wrong password is refused, with the tries left');
  await page.fill('#password', LABEL);
  await shot(t, 'commissioning-login.png', await page.screenshot());
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#main:not([hidden])');
  t.pass('logged in');
});

t.test('3. the box, its network and devices; the claim by serial was refused', async (t) => {
  await page.locator('#claim-sentence', { hasText: 'unknown_serial' }).waitFor({ timeout: 20_000 });
  t.equal(await page.textContent('#serial'), factory.claim.serial);
  t.equal(await page.textContent('#box-id'), 'unclaimed');
  t.equal(await page.textContent('#claim-pill'), 'not claimed');
  t.match(await page.textContent('#net-address'), '127.0.0.1 (lo)');
  t.match(await page.textContent('#net-broker'), `${carrier.broker.url}: reachable`);
  t.same(await page.locator('#devices li').allTextContents(), ['camera: ok', 'display: ok', 'panel: ok']);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(t, 'commissioning-box.png', await page.screenshot());
});

t.test('4. the install code: a mistyped one, then the one on the work order', async (t) => {
  const codes = await docCommand('diemcau-provision codes');
  t.equal(codes.code, 0, codes.err);
  const code = new RegExp(`^${BOX}\\s.*?([0-9A-Z]{4}-[0-9A-Z]{4})`, 'm').exec(codes.out)?.[1];
  t.ok(code, `the work order's install code: ${code}`);
  const wrong = code!.slice(0, 5) + [...code!.slice(5)].reverse().join('');
  await page.fill('#claim-code', wrong === code ? 'ZZZZ-ZZZZ' : wrong);
  await page.click('#claim button[type=submit]');
  await page.locator('#claim-outcome', { hasText: 'No hall has this install code' }).waitFor({ timeout: 20_000 });
  t.match(await page.textContent('#claim-outcome'), 'The carrier refused (unknown_code): No hall has this install code. Check the code on the work order and type it again.');
  await shot(t, 'commissioning-wrong-code.png', await sections('#box', '#box'));

  await page.fill('#claim-code', code!.toLowerCase());
  await page.click('#claim button[type=submit]');
  await page.locator('#claim-outcome', { hasText: 'Claimed' }).waitFor({ timeout: 30_000 });
  t.match(await page.textContent('#claim-outcome'), `Claimed: this box is now ${BOX}`);
  await agent.waitLog((l) => l.msg === 'registered with broker' && l.box === BOX, 'the box registered as itself', 20_000);
  await page.locator('#claim-pill', { hasText: /^claimed$/ }).waitFor({ timeout: 10_000 });
  await page.locator('#box-id', { hasText: BOX }).waitFor({ timeout: 10_000 });
  await page.locator('#net-broker', { hasText: 'connected' }).waitFor({ timeout: 10_000 });
  t.pass(`the page shows ${BOX}, claimed and connected`);
  await shot(t, 'commissioning-claimed.png', await sections('#box', '#network'));
});

t.test('5. the camera picture and the microphone meter, the LEDs, a relay, the TV input', async (t) => {
  await page.click('#camera-take');
  await page.locator('#camera-outcome', { hasText: 'Taken at' }).waitFor({ timeout: 20_000 });
  const pic = await page.evaluate(() => {
    const img = document.getElementById('camera-img') as HTMLImageElement;
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return { width: img.naturalWidth, height: img.naturalHeight, colours: seen.size };
  });
  t.same([pic.width, pic.height], [640, 360], 'the picture, decoded by the browser, is 640x360');
  t.ok(pic.colours > 500, `and not blank (${pic.colours} colours)`);
  const levels = new Set<string>();
  await waitFor('the meter moving', async () => {
    levels.add((await page.getAttribute('#meter-db', 'data-db')) ?? '');
    return [...levels].filter(Boolean).map(Number);
  }, { until: (v) => v.length > 5 && Math.max(...v) - Math.min(...v) >= 6, timeoutMs: 15_000, everyMs: 250 });
  const v = [...levels].filter(Boolean).map(Number);
  t.pass(`the meter follows the room: ${Math.min(...v).toFixed(1)} to ${Math.max(...v).toFixed(1)} dBFS`);
  await page.click('#led-test');
  await page.locator('#tests-outcome', { hasText: 'LEDs: done' }).waitFor({ timeout: 10_000 });
  await page.click('#relays button:text("amplifier on")');
  await page.locator('#tests-outcome', { hasText: 'amplifier on: done' }).waitFor({ timeout: 10_000 });
  await page.click('#display-input');
  await page.locator('#tests-outcome', { hasText: 'TV input: done' }).waitFor({ timeout: 10_000 });
  t.pass('LEDs, relay and TV input answer');
  await shot(t, 'commissioning-checks.png', await sections('#health', '#mic'));
});

t.test('6. the self-test: the centre (a real Janus) hears the hall', async (t) => {
  await page.click('#selftest-run');
  await page.locator('#selftest-result', { hasText: 'The centre hears this hall:' }).waitFor({ timeout: 60_000 });
  t.match(await page.textContent('#selftest-result'), /^The centre hears this hall: yes, loss \d+(\.\d+)? %, RTT \d+(\.\d+)? ms$/);
  await shot(t, 'commissioning-selftest.png', await sections('#selftest', '#tests'));
});

t.test('7. done: the report reaches the carrier, and diemcau-provision report shows it', async (t) => {
  // A retained report comes right after the subscription is granted: a short wait proves there is none.
  const none = await provisionCli(['report', 'vn-00010', '--wait', '0.3'], { DIEMCAU_DB: carrier.store.dir });
  t.same([none.code, none.err.trim()], [1, `diemcau-provision report: vn-00010 has sent no commissioning report (nothing retained on ${carrier.broker.url})`], 'a hall not commissioned yet');
  await page.fill('#done-name', 'Nguyễn Văn An');
  await page.fill('#done-notes', 'Camera on the back wall, TV left of the stage.');
  await page.click('#done-send');
  await page.locator('#done-outcome', { hasText: 'Sent to the carrier' }).waitFor({ timeout: 20_000 });
  await shot(t, 'commissioning-done.png', await sections('#done', '#done'));
  const r = await docCommand('diemcau-provision report');
  t.equal(r.code, 0, r.err);
  for (const want of [`${BOX} (`, 'Nguyễn Văn An from 127.0.0.1', factory.claim.serial, 'device camera', 'TV left of the stage']) t.match(r.out, want);
  t.match(r.out, /centre hears\s+yes, loss/);
  const jpeg = await readFile(join(work, `${BOX}.jpg`));
  const f = await decodeJpeg(jpeg);
  t.same([f.width, f.height], [640, 360], `the report's picture: ${jpeg.length} bytes, 640x360`);
  t.ok(lumaSpread(f) > 20 && readStampI420(f.data, f.width) !== null, "the camera's stamped pattern");
  t.same(errors, [], 'no error in the page');
});
