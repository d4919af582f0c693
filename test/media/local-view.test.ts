// The media path outside a meeting, for the person in front of the box (worker/local.ts): the card on the hall's TV
// (read back from what reaches the programme sink, its QR code by zbarimg), the room's level from the camera and mic
// monitored without a meeting (the simulated room rises and falls), and camera snapshots (decoded by ffmpeg: the
// stamped test pattern, 640x360, at most 60 kB). A real Janus: a meeting takes the TV from the card and gives it
// back; a private meeting refuses the snapshot.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { ROOM, mediaConfig, memoryLogger, programme } from '../../lab/media/fixture.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { decodeJpeg, lumaSpread } from '../../lab/media/jpeg-read.js';
import { zbarRead } from '../../lab/qr-read.js';
import { readStampI420 } from '../../agent/media/frames/frame-stamp.js';
import { sleep, waitFor } from '../../lab/wait.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let lab: JanusLab;
let hall: MediaController;
const hallLog = memoryLogger('hall');
const CARD = { lines: ['DIEMCAU HALL BOX - TECHNICIAN PAGE', 'SERIAL PI4B-000777', 'OPEN http://192.168.1.50:8080/', 'NOT CLAIMED - ENTER THE INSTALL CODE ON THE PAGE'], qr: 'http://192.168.1.50:8080/' };
const card = () => programme(hall) as unknown as { cardShown: string[] | null; cardFrames: number };

t.before(async () => {
  lab = await startJanusLab();
  hall = createMediaPath(mediaConfig({ receiveProgramme: false, width: 640, height: 360 }), hallLog.log, { spawnPrefix: lab.hall.prefix });
  await hall.start();
});
t.teardown(async () => {
  await hall?.stop();
  await lab?.close();
});
t.afterEach(async (t) => {
  if (!t.passing()) t.comment(hallLog.lines.slice(-30).join('\n'));
});

async function snapshotFrame(by: string) {
  const s = await hall.snapshot(by);
  const jpeg = Buffer.from(s.jpeg, 'base64');
  const f = await decodeJpeg(jpeg);
  return { s, jpeg, f, stamp: readStampI420(f.data, f.width) };
}

t.test('camera.snapshot: off by default; a snapshot without a meeting is one frame of the stamped pattern', async (t) => {
  const spec = hall.commands().find((c) => c.name === 'camera.snapshot')!;
  await t.rejects(spec.run({}), { code: 'bad_request', message: 'camera.snapshot: off in this hall (media.snapshot is false in its config)' });
  const { s, jpeg, f, stamp } = await snapshotFrame('test: no meeting');
  t.equal(s.bytes, jpeg.length);
  t.ok(jpeg.length <= 60_000, `${jpeg.length} bytes, within 60 kB`);
  t.same([f.width, f.height, s.width, s.height], [640, 360, 640, 360]);
  t.ok(lumaSpread(f) > 20, `not blank: luma spread ${lumaSpread(f).toFixed(1)}`);
  t.match(stamp, { counter: 1 }, 'the stamp of the one frame captured for it, readable after JPEG');
  t.ok(hallLog.lines.some((l) => l.includes('camera snapshot taken') && l.includes('test: no meeting')), 'logged, with who asked');
});

t.test('monitored: the room level moves with the simulated room; not monitored: no level', async (t) => {
  hall.setMonitor(true);
  const seen: number[] = [];
  let lastAt = 0;
  const read = () => {
    const l = hall.micLevel();
    if (l && l.at !== lastAt && l.rmsDbfs !== null) seen.push(l.rmsDbfs);
    lastAt = l?.at ?? lastAt;
    return seen.length;
  };
  await waitFor('5 s of levels (one every 200 ms)', read, { until: (n) => n >= 25, timeoutMs: 20_000, everyMs: 50 });
  const spread = Math.max(...seen) - Math.min(...seen);
  t.ok(spread >= 6, `the level moves: ${Math.min(...seen).toFixed(1)} to ${Math.max(...seen).toFixed(1)} dBFS`);
  t.ok(Math.max(...seen) < -10 && Math.min(...seen) > -45, 'within the simulated room (-30 to -18 dBFS peak)');
  const { stamp } = await snapshotFrame('test: monitored');
  t.ok((stamp?.counter ?? 0) > 1, `a snapshot from the running capture (frame ${stamp?.counter})`);
  hall.setMonitor(false);
  t.equal(hall.micLevel(), null, 'no level once not monitored');
});

t.test('the card: on the TV outside a meeting, read back, its QR code by zbarimg; a meeting takes the TV', async (t) => {
  hall.setCard(CARD);
  await waitFor('the card on the TV', () => card(), { until: (c) => c.cardFrames >= 2, timeoutMs: 10_000 });
  t.same(card().cardShown, CARD.lines, 'every line, as drawn on the frame the TV got');
  const tv = Buffer.from((await hall.tvStill()).jpeg, 'base64');
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-tv-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'tv.jpg'), tv);
  t.same(await zbarRead(join(dir, 'tv.jpg')), [CARD.qr], 'a phone reads the page address from the TV');

  await hall.join({ bridge: lab.hallUrl, room: ROOM, display: 'hall', private: true });
  t.equal(hall.report().status, 'joined');
  await t.rejects(hall.snapshot('test: private'), { code: 'bad_request', message: /the meeting is private/ }, 'no snapshot in a private meeting');
  const inMeeting = card().cardFrames;
  await sleep(2500);
  t.equal(card().cardFrames, inMeeting, 'no card during the meeting');
  await hall.leave();
  await waitFor('the card back after the leave', () => card().cardFrames, { until: (n) => n >= inMeeting + 2, timeoutMs: 10_000 });
  t.pass('the card is back');

  await hall.join({ bridge: lab.hallUrl, room: ROOM, display: 'hall' });
  await waitFor('heard', () => hall.report(), { until: (r) => r.heard, timeoutMs: 30_000 });
  const { stamp, jpeg } = await snapshotFrame('test: meeting');
  t.ok((stamp?.counter ?? 0) > 1 && jpeg.length <= 60_000, `a snapshot in a meeting that is not private, from its capture (frame ${stamp?.counter})`);
  await hall.leave();
  hall.setCard(null);
  const after = card().cardFrames;
  await sleep(2500);
  t.equal(card().cardFrames, after, 'no card once cleared');
});
