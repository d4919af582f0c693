// Faults on the hall's link, made in its own network namespace: the link cut for 10 s (audio must come back
// within seconds), random packet loss from nftables (the encoder steps down, audio stays heard), and the worker
// killed (the controller restarts it and the hall is back in the room).
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { setLoss } from '../../lab/netns.js';
import { linkCutRecovery, memoryLogger, programme, sleep, startCentre, startHall, waitFor } from '../../lab/media/fixture.js';
import type { MediaController } from '../../agent/media/controller.js';

let lab: JanusLab;
let hall: MediaController;
let centre: MediaController;
const hallLog = memoryLogger('hall');

t.before(async () => {
  lab = await startJanusLab();
  hall = await startHall(lab, { width: 640, height: 360 }, hallLog.log);
  centre = await startCentre(lab);
  await waitFor(() => programme(centre).audioLoudSamples > 48000, 15000);
  await waitFor(() => hall.report().heard, 10000);
});
t.teardown(async () => {
  await hall?.stop().catch(() => {});
  await centre?.stop().catch(() => {});
  await lab?.close();
});
t.afterEach((t) => {
  if (!t.passing()) t.comment(hallLog.lines.slice(-40).join('\n'));
});

t.test('link down 10 s, then up: the centre hears the hall again within seconds', async (t) => {
  t.ok(hall.report().heard, 'heard before the cut');
  const cut = lab.hallLink.down();
  await cut;
  t.ok(await waitFor(() => !hall.report().heard, 6000), 'not heard while the link is down');
  await lab.hallLink.up();
  await sleep(3000);
  const r = await linkCutRecovery(lab, centre, 10000);
  t.ok(r.audioS !== null && r.audioS <= 5, `audio back at the centre ${r.audioS} s after the link returned`);
  // Video too, at full rate: the bridge's reports count the outage as loss, which cuts libwebrtc's bandwidth
  // estimate towards its floor; the worker restarts it from where it was (restoreEstimate), or the centre would
  // see a frame or two a second for most of a minute.
  t.ok(r.videoS !== null && r.videoS <= 3, `the centre decodes 20 fps or more over a second ${r.videoS} s after the link returned`);
  t.ok(await waitFor(() => hall.report().heard && hall.report().status === 'joined', 8000), 'hall reports heard and joined again');
});

t.test('15% packet loss: video steps down, audio stays heard; clean again: video comes back', async (t) => {
  const startFrames = programme(centre).frames;
  await setLoss(lab.hall, 15);
  const stepped = await waitFor(() => hall.extra().level !== '360p30', 15000);
  t.ok(stepped, `encoder stepped down from 360p30 to ${hall.extra().level}`);
  await sleep(3000);
  t.ok(hall.report().heard, 'audio still heard through 15% loss');
  t.ok((hall.report().stats?.lossPct ?? 0) > 3, `bridge reports loss ${hall.report().stats?.lossPct}%`);
  await setLoss(lab.hall, 0);
  const back = await waitFor(() => hall.extra().level === '360p30', 40000, 500);
  t.ok(back, `after the loss ends, the encoder climbs back to 360p30 (${hall.extra().level})`);
  const f0 = programme(centre).frames;
  t.ok(await waitFor(() => programme(centre).frames > f0 + 20, 10000), 'the centre decodes frames again');
  t.ok(programme(centre).frames > startFrames, 'frames kept coming overall');
});

t.test('worker killed: the controller restarts it and the hall rejoins', async (t) => {
  const pid = hall.workerPid();
  t.ok(pid, 'worker has a pid');
  process.kill(pid!, 'SIGKILL');
  t.ok(await waitFor(() => hall.restarts === 1, 5000), 'controller noticed the crash');
  t.ok(await waitFor(() => hall.workerPid() !== undefined && hall.workerPid() !== pid, 8000), 'a new worker runs');
  t.ok(await waitFor(() => hall.report().status === 'joined' && hall.report().seen && hall.report().heard, 20000), 'joined, seen and heard again');
  // The centre's old subscription was to the dead publisher; a fresh subscriber sees the new one.
  const fresh = await startCentre(lab);
  try {
    t.ok(await waitFor(() => programme(fresh).frames > 30, 15000), `a fresh centre decodes the hall (${programme(fresh).frames} frames)`);
  } finally {
    await fresh.stop();
  }
});
