// Faults on the hall's link, made in its own network namespace: the link cut for 10 s (audio must come back
// within seconds), random packet loss from nftables (the encoder steps down, audio stays heard), and the worker
// killed (the controller restarts it and the hall is back in the room). Each test starts from a hall that is
// joined and heard (and, where it watches through the first centre, heard there) and leaves the link as it found
// it, so none depends on another having passed.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { setLoss } from '../../lab/netns.js';
import { hallJoin, linkCutRecovery, memoryLogger, programme, sleep, startCentre, startHall } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';
import type { MediaController } from '../../agent/media/controller.js';
import { LADDER } from '../../agent/media/worker/adapt.js';

let lab: JanusLab;
let hall: MediaController;
let centre: MediaController;
const hallLog = memoryLogger('hall');
/** Both centres write here: a centre that stops hearing the hall says why (run 48: its subscription went quiet). */
const centreLog = memoryLogger('centre');

t.before(async () => {
  lab = await startJanusLab();
  hall = await startHall(lab, { width: 640, height: 360 }, hallLog.log);
  centre = await startCentre(lab, centreLog.log);
});
t.beforeEach(async () => {
  await waitFor('the hall joined and heard', () => hall.report(), { until: (r) => r.status === 'joined' && r.heard, timeoutMs: 30_000 });
});
/** For the tests that watch through a centre (the first, unless given another): it hears the hall when they start. */
async function centreHears(c = centre): Promise<void> {
  const loud = programme(c).audioLoudSamples;
  await waitFor('the centre hearing the tone', () => programme(c), { until: (p) => p.audioLoudSamples > loud + 4800, timeoutMs: 30_000 });
}
t.teardown(async () => {
  await hall?.stop().catch(() => {});
  await centre?.stop().catch(() => {});
  await lab?.close();
});
t.afterEach((t) => {
  if (!t.passing()) t.comment([...hallLog.lines.slice(-40), ...centreLog.lines.slice(-30)].join('\n'));
});

t.test('link down 10 s, then up: the centre hears the hall again within seconds', async (t) => {
  t.teardown(() => lab.hallLink.up());
  await centreHears();
  t.ok(hall.report().heard, 'heard before the cut');
  // One cut: the outage is seen (not heard) while it lasts, and the recovery is timed from its end.
  const r = await linkCutRecovery(lab, centre, 10000, undefined, undefined, async () => {
    await waitFor('not heard while the link is down', () => hall.report(), { until: (r) => !r.heard, timeoutMs: 15_000 });
    t.pass('not heard while the link is down');
  });
  // How soon is the bench's number (audio_recover_p95_s, video_recover_p95_s, over 20 cuts). Here the bounds
  // only tell a recovery that works from one that does not: without the ICE restart the hall is not heard again
  // until its session is rebuilt from scratch (tens of seconds, linkCutRecovery gives up at 20 s).
  t.ok(r.audioS !== null && r.audioS <= 10, `audio back at the centre ${r.audioS} s after the link returned`);
  // Video too, at full rate: the bridge's reports count the outage as loss, which cuts libwebrtc's bandwidth
  // estimate towards its floor; the worker restarts it from where it was (restoreEstimate), or the centre would
  // see a frame or two a second for most of a minute.
  t.ok(r.videoS !== null && r.videoS <= 15, `the centre decodes 20 fps or more over a second ${r.videoS} s after the link returned`);
  await waitFor('heard and joined again', () => hall.report(), { until: (r) => r.heard && r.status === 'joined', timeoutMs: 20_000 });
  t.pass('hall reports heard and joined again');
});

t.test('15% packet loss: video steps down, audio stays heard; clean again: video comes back', async (t) => {
  t.teardown(() => setLoss(lab.hall, 0));
  // The climb back waits for this many clean seconds per level (the shipped 8, twice that from audio-only, made
  // 24 s of this test): the hall joins again with a shorter climb, for this test only (a join's setting), and a
  // centre of its own watches the new feed.
  await hall.leave();
  const j = await hall.join({ ...hallJoin(lab), adaptGoodSamples: 2 });
  t.equal(j.status, 'joined', 'joined again with a 2-sample climb');
  const centre = await startCentre(lab, centreLog.log);
  t.teardown(() => centre.stop());
  await waitFor('the hall heard', () => hall.report(), { until: (r) => r.heard, timeoutMs: 30_000 });
  await centreHears(centre);
  // The level it starts from may be below the top (after a link cut the encoder climbs back by itself): a step
  // down is a level further down the ladder than that.
  const rung = (level?: string) => LADDER.findIndex((l) => l.name === level);
  const from = hall.extra().level;
  const startFrames = programme(centre).frames;
  await setLoss(lab.hall, 15);
  await waitFor(`the encoder stepping down from ${from}`, () => hall.extra(), { until: (x) => rung(x.level) > rung(from), timeoutMs: 30_000 });
  t.pass(`encoder stepped down from ${from} to ${hall.extra().level}`);
  await sleep(3000);
  // Heard is judged from the bridge's receiver reports, fresh within 3.5 s; under 15% loss on a busy machine a read
  // at one instant has caught a gap in them (ci run 21, beside stress-ng: audio flowing at 33 kb/s, video and audio
  // both "not received" for lack of a fresh report). Heard again within 5 s more tells a gap from audio lost.
  const through = await waitFor('heard through 15% loss', () => hall.report(), { until: (r) => r.heard, timeoutMs: 5000 }).catch(() => hall.report());
  t.ok(through.heard, `audio still heard through 15% loss (${JSON.stringify({ status: through.status, seen: through.seen, stats: through.stats })})`);
  t.ok((hall.report().stats?.lossPct ?? 0) > 3, `bridge reports loss ${hall.report().stats?.lossPct}%`);
  await setLoss(lab.hall, 0);
  await waitFor('the encoder back at 360p30', () => hall.extra(), { until: (x) => x.level === '360p30', timeoutMs: 60_000, everyMs: 500 });
  t.pass(`after the loss ends, the encoder climbs back to 360p30`);
  const f0 = programme(centre).frames;
  await waitFor('20 more frames at the centre', () => programme(centre), { until: (p) => p.frames > f0 + 20, timeoutMs: 20_000 });
  t.pass('the centre decodes frames again');
  t.ok(programme(centre).frames > startFrames, 'frames kept coming overall');
});

t.test('worker killed: the controller restarts it and the hall rejoins', async (t) => {
  const pid = hall.workerPid();
  const restarts = hall.restarts;
  t.ok(pid, 'worker has a pid');
  process.kill(pid!, 'SIGKILL');
  await waitFor('the controller noticing the crash', () => hall.restarts, { until: (n) => n === restarts + 1 });
  t.pass('controller noticed the crash');
  await waitFor('a new worker', () => hall.workerPid(), { until: (p) => p !== undefined && p !== pid, timeoutMs: 20_000 });
  t.pass('a new worker runs');
  await waitFor('joined, seen and heard again', () => hall.report(), { until: (r) => r.status === 'joined' && r.seen && r.heard, timeoutMs: 30_000 });
  t.pass('joined, seen and heard again');
  // The centre's old subscription was to the dead publisher; a fresh subscriber sees the new one.
  const fresh = await startCentre(lab);
  try {
    await waitFor('a fresh centre decoding the hall', () => programme(fresh), { until: (p) => p.frames > 30, timeoutMs: 30_000 });
    t.pass(`a fresh centre decodes the hall (${programme(fresh).frames} frames)`);
  } finally {
    await fresh.stop();
  }
});
