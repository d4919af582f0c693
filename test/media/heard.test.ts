// "Video works, audio lost" made real: nftables in the hall's namespace drops the hall's Opus RTP packets (payload
// type as our offer numbers it) while video, RTCP, STUN and DTLS pass. The hall must notice that the centre does
// not hear it (while it is still seen), repair (renegotiate, then a new session) and say so; once audio can pass
// again it is heard again, and the centre hears the tone.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../helpers/janus.js';
import { dropRtpPayloadType } from '../helpers/netns.js';
import { memoryLogger, programme, sleep, startCentre, startHall, waitFor } from './fixture.js';
import type { MediaController } from '../../agent/media/controller.js';

let lab: JanusLab;
let hall: MediaController;
let centre: MediaController;
const hallLog = memoryLogger('hall');
t.teardown(async () => {
  await hall?.stop().catch(() => {});
  await centre?.stop().catch(() => {});
  await lab?.close();
});

t.test('audio dropped on the way, video not: not heard, repaired, heard again', async (t) => {
  lab = await startJanusLab();
  hall = await startHall(lab, { width: 640, height: 360 }, hallLog.log);
  centre = await startCentre(lab);
  t.ok(await waitFor(() => hall.report().heard && hall.report().seen, 15000), 'heard and seen at first');
  const opus = 111; // wrtc offers Opus as payload type 111, and Janus keeps the offerer's numbering
  await dropRtpPayloadType(lab.hall, opus);
  t.ok(await waitFor(() => !hall.report().heard, 8000), 'the hall notices that the centre does not hear it');
  t.ok(hall.report().seen, 'while video still reaches the bridge (seen)');
  const loud = programme(centre).audioLoudSamples;
  await sleep(1000);
  t.ok(programme(centre).audioLoudSamples - loud < 4800, 'and indeed the centre hears nothing');
  t.ok(await waitFor(() => (hall.extra().repairs ?? 0) >= 1, 12000), `the hall repairs its audio path (${hall.extra().repairs} repairs)`);
  t.ok(hallLog.lines.some((l) => l.includes('video reaches the bridge but audio does not')), 'and logs it');
  await dropRtpPayloadType(lab.hall, null);
  t.ok(await waitFor(() => hall.report().heard, 20000), 'heard again once audio can pass');
  const base = programme(centre).audioLoudSamples;
  t.ok(await waitFor(() => programme(centre).audioLoudSamples > base + 24000, 30000), 'the centre hears the tone again');
  if (!t.passing()) t.comment(hallLog.lines.slice(-30).join('\n'));
});

t.test('still deaf after the renegotiation: the hall makes a new session, and is heard again once audio can pass', async (t) => {
  t.ok(await waitFor(() => hall.report().heard && hall.report().status === 'joined', 20000), 'heard at first');
  const sessions = hall.extra().sessions ?? 0;
  const repairs = hall.extra().repairs ?? 0;
  await dropRtpPayloadType(lab.hall, 111);
  // Not heard within 3.5 s, the renegotiation 5 s later, the new session 8 s after that (heard.ts).
  t.ok(await waitFor(() => (hall.extra().repairs ?? 0) >= repairs + 2, 30000), `renegotiated, then asked for a new session (${(hall.extra().repairs ?? 0) - repairs} repairs)`);
  t.ok(await waitFor(() => (hall.extra().sessions ?? 0) > sessions, 10000), `a new session was made (${hall.extra().sessions} sessions, ${sessions} before)`);
  await dropRtpPayloadType(lab.hall, null);
  t.ok(await waitFor(() => hall.report().heard && hall.report().status === 'joined', 20000), 'heard again once audio can pass');
  if (!t.passing()) t.comment(hallLog.lines.slice(-30).join('\n'));
});
