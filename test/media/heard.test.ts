// "Video works, audio lost" made real: nftables in the hall's namespace drops the hall's Opus RTP packets (payload
// type as our offer numbers it) while video, RTCP, STUN and DTLS pass. The hall must notice that the centre does
// not hear it (while it is still seen), repair (renegotiate, then a new session) and say so; once audio can pass
// again it is heard again, and the centre hears the tone.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { dropRtpPayloadType } from '../../lab/netns.js';
import { memoryLogger, programme, sleep, startCentre, startHall } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';
import type { MediaController } from '../../agent/media/controller.js';

const REPAIR_AFTER_MS = 2000;
const NEW_SESSION_AFTER_MS = 4000;

let lab: JanusLab;
let hall: MediaController;
let centre: MediaController;
const hallLog = memoryLogger('hall');
const centreLog = memoryLogger('centre');
t.afterEach((t) => {
  if (!t.passing()) t.comment([...hallLog.lines.slice(-30), ...centreLog.lines.slice(-20)].join('\n'));
});
t.teardown(async () => {
  await hall?.stop().catch(() => {});
  await centre?.stop().catch(() => {});
  await lab?.close();
});

t.test('audio dropped on the way, video not: not heard, repaired, heard again', async (t) => {
  lab = await startJanusLab();
  // The repair's waits shortened (media.audioRepairAfterMs, audioNewSessionAfterMs; shipped 5 s and 8 s): the same
  // steps in the same order, sooner.
  hall = await startHall(lab, { width: 640, height: 360, audioRepairAfterMs: REPAIR_AFTER_MS, audioNewSessionAfterMs: NEW_SESSION_AFTER_MS }, hallLog.log);
  centre = await startCentre(lab, centreLog.log);
  await waitFor('heard and seen at first', () => hall.report(), { until: (r) => r.heard && r.seen, timeoutMs: 30_000 });
  t.pass('heard and seen at first');
  const opus = 111; // wrtc offers Opus as payload type 111, and Janus keeps the offerer's numbering
  const before = hall.extra().repairs ?? 0;
  const logged = hallLog.lines.length;
  await dropRtpPayloadType(lab.hall, opus);
  await waitFor('the hall noticing it is not heard', () => hall.report(), { until: (r) => !r.heard, timeoutMs: 15_000 });
  t.pass('the hall notices that the centre does not hear it');
  t.ok(hall.report().seen, 'while video still reaches the bridge (seen)');
  const loud = programme(centre).audioLoudSamples;
  await sleep(1000);
  t.ok(programme(centre).audioLoudSamples - loud < 4800, 'and indeed the centre hears nothing');
  await waitFor('a repair of the audio path', () => hall.extra(), { until: (x) => (x.repairs ?? 0) >= before + 1, timeoutMs: 20_000 });
  t.pass(`the hall repairs its audio path (${hall.extra().repairs} repairs, ${before} before the drop)`);
  t.ok(hallLog.lines.slice(logged).some((l) => l.includes('the bridge does not hear our audio: repairing')), 'and logs it');
  await dropRtpPayloadType(lab.hall, null);
  await waitFor('heard again', () => hall.report(), { until: (r) => r.heard, timeoutMs: 30_000 });
  t.pass('heard again once audio can pass');
  const base = programme(centre).audioLoudSamples;
  await waitFor('half a second more of the tone at the centre', () => programme(centre), { until: (p) => p.audioLoudSamples > base + 24000, timeoutMs: 30_000 });
  t.pass('the centre hears the tone again');
});

t.test('still deaf after the renegotiation: the hall makes a new session, and is heard again once audio can pass', async (t) => {
  t.ok(await waitFor('hall.report().heard && hall.report().status === \'joined\'', () => hall.report().heard && hall.report().status === 'joined', { timeoutMs: 20000 }), 'heard at first');
  const sessions = hall.extra().sessions ?? 0;
  const repairs = hall.extra().repairs ?? 0;
  await dropRtpPayloadType(lab.hall, 111);
  // Not heard within 3.5 s, the renegotiation REPAIR_AFTER_MS later, the new session NEW_SESSION_AFTER_MS after that.
  t.ok(await waitFor('(hall.extra().repairs ?? 0) >= repairs + 2', () => (hall.extra().repairs ?? 0) >= repairs + 2, { timeoutMs: 30000 }), `renegotiated, then asked for a new session (${(hall.extra().repairs ?? 0) - repairs} repairs)`);
  t.ok(await waitFor('(hall.extra().sessions ?? 0) > sessions', () => (hall.extra().sessions ?? 0) > sessions, { timeoutMs: 10000 }), `a new session was made (${hall.extra().sessions} sessions, ${sessions} before)`);
  await dropRtpPayloadType(lab.hall, null);
  t.ok(await waitFor('hall.report().heard && hall.report().status === \'joined\'', () => hall.report().heard && hall.report().status === 'joined', { timeoutMs: 20000 }), 'heard again once audio can pass');
  if (!t.passing()) t.comment(hallLog.lines.slice(-30).join('\n'));
});
