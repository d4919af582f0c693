// "See and hear" from the page (a media test: a real Janus in a network namespace, a real agent process with its
// simulated camera and microphone, the real server, Debian's Chromium): an operator creates a meeting and joins the
// hall to it from the meeting bar (the halls its filter shows) and reads the progress reach "1 of 1 joined"; the hall turns heard on the wall;
// a click on its cell opens it, "See and hear" plays it: the page's own RTCPeerConnection, answering the bridge's
// offer that the server relayed, decodes the hall's frames (framesDecoded from getStats goes up, and the page says
// so under the picture). Closing the preview ends it on the server too. And the floor with a hall in the meeting:
// its talk button puts it in the page's queue, the grant clicked there puts its tally on air (agents with
// floor.grant).
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { startLocalJanus } from '../../lab/janus.js';
import { startConsoleHall, stopConsoleHall } from '../../lab/console-halls.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig } from '../../lab/central.js';
import { launchChromium } from '../../lab/chromium.js';
import { openConsole, legendColors, cellColors, cellOnScreen, near } from '../../lab/console-page.js';
import { hallCommands, pressButton } from '../../lab/hall-capabilities.js';
import { HALL_PATTERNS } from '../../agent/hall.js';
import { PASSWORD, eventually } from '../central/world.js';

if (process.getuid?.() !== 0) {
  t.plan(0, 'Janus runs in a network namespace, which needs root');
  process.exit(0);
}

const BOX = 'vn-50002';
const dir = await mkdtemp(join(tmpdir(), 'diemcau-page-preview-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
// Janus (the slowest part) and the browser start while the broker, the hall and the server do.
const janusUp = startLocalJanus().then((j) => (t.teardown(() => j.stop()), j));
const browserUp = launchChromium().then((b) => (t.teardown(() => b.close()), b));
const broker = await startBroker();
t.teardown(() => broker.cleanup());
const hall = await startConsoleHall(BOX, 'Hội trường xã Hòa Bình', '01', broker.url, {
  media: { enabled: true, simulate: true, width: 640, height: 360, fps: 15, maxBitrateKbps: 600 },
});
t.teardown(() => stopConsoleHall(hall));
const janus = await janusUp;
const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'viettel', url: broker.url }], bridge: { janus: janus.url } });
await addOperator(configPath, 'nat', 'national', PASSWORD);
const server = await startCentral(configPath);
t.teardown(() => server.stop());
const api = await ConsoleClient.login(server.url, 'nat', PASSWORD);
await eventually(async () => (await api.get(`/api/halls?q=${BOX}`)).body.halls[0]?.presence === 'online', 'hall online', 30000);
const browser = await browserUp;
const nat = await openConsole(browser, server.url, 'nat', PASSWORD);
const p = nat.page;

t.test('a meeting created and joined from the meeting bar: "1 of 1 joined", heard on the wall', async (t) => {
  await p.fill('.meeting-create input[name=title]', 'preview');
  await p.fill('.meeting-create input[name=bridge]', janus.url);
  await p.fill('.meeting-create input[name=room]', String(janus.rooms[0]));
  await p.click('.meeting-create button[type=submit]');
  await p.waitForSelector('.meeting-bar .meeting-join');
  // The hall joined on its own (the filter's halls: a box scope); a group join is console-preview.test.ts's.
  await p.fill('.f-search', BOX);
  await eventually(async () => (await p.textContent('.f-shown'))?.startsWith('1 of'), 'the hall found');
  await p.selectOption('.meeting-bar select.scope', '@filtered');
  await p.click('.meeting-bar .meeting-join');
  const line = await eventually(async () => {
    const s = (await p.textContent('.meeting-progress .progress-main').catch(() => null)) ?? '';
    return s === '1 of 1 joined' && s;
  }, 'the page says the hall joined', 60000, 250);
  t.equal(line, '1 of 1 joined');
  await p.fill('.f-search', '');
  const legend = await legendColors(p);
  await eventually(async () => near((await cellColors(p, [BOX]))[BOX], legend.heard), 'the cell heard-green', 30000, 250);
  t.pass('heard at the centre, on the wall');
});

t.test('"See and hear": the page\'s peer decodes the hall\'s frames', async (t) => {
  const at = await cellOnScreen(p, BOX);
  await p.mouse.click(at.x, at.y);
  await p.waitForSelector('.detail .detail-preview');
  await p.click('.detail .detail-preview');
  const framesShown = async () => Number((await p.getAttribute('.preview-stats', 'data-frames').catch(() => null)) ?? 0);
  await eventually(async () => (await framesShown()) >= 30, 'the page says 30 frames decoded', 30000, 250).catch(async (err) => {
    const why = await p.evaluate(() => {
      const pc: RTCPeerConnection | undefined = (window as any).diemcau.detail.playing?.peer;
      return {
        line: document.querySelector('.preview-stats')?.textContent,
        status: document.querySelector('.status')?.textContent,
        ice: pc?.iceConnectionState,
        conn: pc?.connectionState,
        local: pc?.localDescription?.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate')),
        remote: pc?.remoteDescription?.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate') || l.startsWith('m=')),
      };
    });
    throw new Error(`${err.message}: ${JSON.stringify(why)}`);
  });
  const decoded = () =>
    p.evaluate(async () => {
      const pc: RTCPeerConnection = (window as any).diemcau.detail.playing.peer;
      let n = 0;
      (await pc.getStats()).forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded ?? 0;
      });
      return n;
    });
  const a = await decoded();
  await p.waitForTimeout(1000);
  const b = await decoded();
  t.ok(a >= 30 && b > a, `framesDecoded from the page's RTCPeerConnection: ${a}, a second later ${b}`);
  t.equal(await p.evaluate(() => document.querySelector<HTMLVideoElement>('.preview-video')!.videoWidth), 640, 'the hall\'s picture, 640 wide, in the <video>');
  t.match(await p.textContent('.preview-stats'), /^[\d,]+ frames decoded · 640×360 · [\d,]+ kbit\/s$/);
  await p.click('.preview-close');
  await eventually(async () => (await api.get('/api/audit?limit=20')).body.some((x: any) => x.action === 'preview.close' && x.outcome === 'ok'), 'closed on the server');
  t.notOk(await p.$('.preview'), 'gone from the page');
});

t.test('talk pressed in the hall: in the queue on the page; granted there, the hall\'s tally goes on air', async (t) => {
  if (!(await hallCommands(broker.url, BOX)).has('floor.grant')) {
    t.comment('the agent does not take floor.grant yet (commands.list): checked once it does');
    return;
  }
  const panel = async () => (await api.get(`/api/halls/${BOX}`)).body.state?.devices?.panel;
  const before = await panel();
  await p.click('.detail-close'); // the drawer lies over the side panels
  await pressButton(broker.url, BOX, 'talk');
  await p.waitForSelector(`.floor-entry[data-box="${BOX}"][data-status=requested]`, { timeout: 15000 });
  await p.click(`.floor-entry[data-box="${BOX}"] .floor-grant`);
  await p.waitForSelector(`.floor-entry[data-box="${BOX}"][data-status=granted]`, { timeout: 15000 });
  const onAir = (HALL_PATTERNS as Record<string, { tally: string }>)['on-air']?.tally;
  const after = await eventually(async () => {
    const x = await panel();
    return x?.hallState === 'on-air' && x;
  }, 'the panel on air in the reported state', 15000);
  t.equal(after.leds.tally, onAir, `tally ${before?.leds?.tally} → ${after.leds.tally}: the on-air pattern`);
  t.not(after.leds.tally, before?.leds?.tally, 'the tally changed');
  await p.click(`.floor-entry[data-box="${BOX}"] .floor-revoke`);
  const st = await eventually(async () => {
    const x = (await api.get(`/api/halls/${BOX}`)).body.state;
    return x?.devices?.panel?.hallState !== 'on-air' && x?.media?.muted === true && x;
  }, 'off air and muted after the revoke', 15000);
  t.equal(st.devices.panel.hallState, 'muted', 'revoked: the mic muted, the tally shows it');
});

t.test('no page errors', async (t) => {
  t.same(nat.errors, []);
});
