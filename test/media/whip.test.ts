// The WHIP client (agent/media/signalling/whip.ts) against a WHIP endpoint the test runs on top of the real Janus:
// publish with a bearer token, a wrong token refused with the HTTP status named, an ICE restart by PATCH when the
// path is cut, and DELETE at leave. Then WHEP: the programme received from a WHEP endpoint that is a real wrtc peer
// in its own process (whep-endpoint.ts), checked frame by frame from the stamps in its pixels, and heard; when it
// stops arriving, subscribed again and the replaced subscription deleted.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { setLoss } from '../../lab/netns.js';
import { startWhipEndpoint, type WhipEndpoint } from '../../lab/media/whip-endpoint.js';
import { startWhepEndpoint } from '../../lab/media/whep-endpoint.js';
import { applySdpFrag, iceCredentials } from '../../agent/media/signalling/whip.js';
import { createMediaPath } from '../../agent/media/controller.js';
import { ROOM, mediaConfig, memoryLogger, programme, startCentre } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';

/**
 * The programme keeper's stale time for this hall's join (JoinRequest.programmeStaleMs): shorter than the shipped
 * 30 s (PROGRAMME.staleMs), which exists for a publisher riding out a link cut; the endpoint here never does, and
 * what is proved (renewed after the stale time, the old resource deleted) does not depend on its length.
 */
const STALE_MS = 5000;

t.test('sdpfrag helpers', async (t) => {
  const answer = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\na=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\n';
  const out = applySdpFrag(answer, 'a=ice-ufrag:new\r\na=ice-pwd:newpwd\r\na=candidate:2 1 udp 1 10.0.0.2 6000 typ host\r\n');
  t.same(iceCredentials(out), { ufrag: 'new', pwd: 'newpwd' });
  t.notMatch(out, /old/, 'no old credentials left');
  t.match(out, /a=candidate:2 1 udp 1 10\.0\.0\.2 6000 typ host/, 'new candidate in');
  t.notMatch(out, /10\.0\.0\.1/, 'old candidate out');
  t.throws(() => applySdpFrag(answer, 'nothing'), /no a=ice-ufrag/);
});

let lab: JanusLab;
let whip: WhipEndpoint;
/** The log of the hall under test, shown when its test fails. */
let log = memoryLogger('hall');
t.afterEach((t) => {
  if (!t.passing()) t.comment(log.lines.slice(-30).join('\n'));
});
const stops: Array<() => Promise<void>> = [];
t.teardown(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  await whip?.close();
  await lab?.close();
});

t.test('publishes through WHIP; the centre sees it; ICE restart by PATCH; DELETE at leave', async (t) => {
  lab = await startJanusLab();
  whip = await startWhipEndpoint(lab.hostUrl, 'sekret');

  const bad = createMediaPath(mediaConfig({ signalling: 'whip', width: 640, height: 360, receiveProgramme: false }), memoryLogger('bad').log);
  stops.push(() => bad.stop());
  await bad.start();
  const r = await bad.join({ bridge: whip.url(ROOM), room: ROOM, token: 'wrong' });
  t.not(r.status, 'joined', 'a wrong token does not join');
  t.match(r.error?.message ?? '', /HTTP 401/, `the error names the refusal: ${r.error?.message}`);
  await bad.stop();

  log = memoryLogger('hall');
  const hall = createMediaPath(mediaConfig({ signalling: 'whip', width: 640, height: 360, receiveProgramme: false }), log.log);
  stops.push(() => hall.stop());
  await hall.start();
  const j = await hall.join({ bridge: whip.url(ROOM), room: ROOM, token: 'sekret' });
  t.equal(j.status, 'joined', 'joined through WHIP');
  t.ok(whip.requests.includes(`POST /whip/${ROOM}`), 'the endpoint got the POST');
  await waitFor('heard and seen', () => hall.report(), { until: (r) => r.heard && r.seen, timeoutMs: 20_000 });
  t.pass('Janus reports our audio and video (heard, seen)');

  const centre = await startCentre(lab);
  stops.push(() => centre.stop());
  await waitFor('the centre decoding the hall', () => programme(centre), { until: (p) => p.frames > 30, timeoutMs: 30_000 });
  t.pass(`the centre decodes the hall (${programme(centre).frames} frames)`);

  // Cut every UDP packet in Janus's namespace: ICE goes disconnected, the worker restarts ICE over WHIP PATCH.
  await setLoss(lab.sfu, 100);
  await waitFor('not heard while cut', () => hall.report(), { until: (r) => !r.heard, timeoutMs: 15_000 });
  await waitFor('an ICE restart PATCH', () => whip.requests, { until: (q) => q.some((x) => x.startsWith('PATCH ')), timeoutMs: 20_000 });
  t.pass('ICE restart sent as PATCH');
  await setLoss(lab.sfu, 0);
  await waitFor('heard again after the restart', () => hall.report(), { until: (r) => r.heard && r.status === 'joined', timeoutMs: 30_000 });
  t.pass('heard again after the restart');

  await hall.leave();
  t.ok(whip.requests.some((q) => q.startsWith('DELETE /whip/res/')), 'leave deletes the WHIP resource');
});

t.test('receives the programme through WHEP: frames in order, the tone heard, DELETE at leave', async (t) => {
  const whep = await startWhepEndpoint('sekret');
  stops.push(() => whep.close());
  log = memoryLogger('hall');
  const hall = createMediaPath(mediaConfig({ signalling: 'whip', width: 640, height: 360 }), log.log);
  stops.push(() => hall.stop());
  await hall.start();

  // A wrong token: the subscription is refused with the HTTP status named, and the worker stays up.
  await hall.join({ bridge: whep.url('unused'), room: ROOM, token: 'wrong', publish: false, programme: { display: whep.url('programme') } });
  await waitFor('HTTP 401 in the log', () => log.lines, { until: (l) => l.some((x) => /programme not received.*HTTP 401/.test(x)), timeoutMs: 20_000 });
  t.pass('a wrong token: HTTP 401 named in the log');
  await hall.leave();
  t.equal(hall.restarts, 0, 'no crash');

  const j = await hall.join({ bridge: whep.url('unused'), room: ROOM, token: 'sekret', publish: false, programme: { display: whep.url('programme') }, programmeStaleMs: STALE_MS });
  t.equal(j.status, 'joined');
  await waitFor('90 programme frames', () => programme(hall), { until: (p) => p.frames > 90, timeoutMs: 30_000 });
  t.pass(`programme frames decoded: ${programme(hall).frames}`);
  const p = programme(hall);
  t.equal(p.outOfOrder, 0, 'none out of order');
  t.equal(p.unreadable, 0, 'every stamp readable');
  t.ok(p.missing <= p.frames * 0.05, `missing ${p.missing} of ${p.frames + p.missing}`);
  t.equal(`${p.width}x${p.height}`, '640x360', 'at the size sent');
  // Not a speed floor: only a frame queue that grows reaches seconds (the bench measures the uplink's latency).
  t.ok(p.latencyP95Ms !== null && p.latencyP95Ms < 2000, `frames not queued: stamp-to-decode p95 ${p.latencyP95Ms} ms`);
  await waitFor('1 s of the tone', () => programme(hall), { until: (p) => p.audioLoudSamples > 48000, timeoutMs: 20_000 });
  t.pass('the tone is heard (over 1 s of it)');
  t.ok(whep.requests.includes('POST /whep/programme'), 'subscribed by POST');

  // The programme stops arriving (its source went away; the endpoint keeps the session): the worker subscribes
  // again within the keeper's stale time, and the subscription it replaces is deleted, not left to the leave.
  const count = (what: string) => whep.requests.filter((x) => x.startsWith(what)).length;
  const postsBefore = count('POST /whep/programme');
  const deletesBefore = count('DELETE ');
  whep.pause(true);
  const stopped = Date.now();
  await waitFor('the worker subscribing again', () => count('POST /whep/programme'), {
    until: (n) => n > postsBefore,
    timeoutMs: STALE_MS + 15_000,
    everyMs: 200,
  });
  t.pass(`subscribed again ${((Date.now() - stopped) / 1000).toFixed(1)} s after the programme stopped (stale time ${STALE_MS / 1000} s)`);
  t.ok(log.lines.some((l) => l.includes('programme stopped; subscribing again')), 'and said why');
  const deleted = () => count('DELETE ') > deletesBefore;
  await waitFor('the replaced subscription deleted', deleted, { timeoutMs: 5000 }).catch(() => {});
  t.ok(deleted(), `the replaced subscription is deleted (requests: ${JSON.stringify(whep.requests)})`);
  whep.pause(false);
  const f0 = programme(hall).frames;
  await waitFor('30 more programme frames', () => programme(hall), { until: (p) => p.frames > f0 + 30, timeoutMs: 20_000 });
  t.pass('the programme is decoded again on the new subscription');
  const deletes = count('DELETE ');

  await hall.leave();
  await waitFor('a WHEP DELETE at the leave', () => count('DELETE '), { until: (n) => n > deletes });
  t.pass('leave deletes the WHEP resource');
});
