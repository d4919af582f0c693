// The hall's uplink through a real Janus: the worker (in the hall namespace) publishes the stamped test pattern
// and tone; a second wrtc worker and headless Chromium subscribe on the host side and check, from the pixels they
// decode, that frames arrive in order, that few are missing, and how late they are.
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { startChromiumSubscriber, type ChromiumSubscriber } from '../../lab/media/chromium-subscriber.js';
import { FrameCheck } from '../../agent/media/programme/frame-check.js';
import { ROOM, memoryLogger, programme, sleep, startCentre, startHall, waitFor } from '../../lab/media/fixture.js';
import type { MediaController } from '../../agent/media/controller.js';

let lab: JanusLab | undefined;
let hallLines: string[] = [];
const procs: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = [];
t.teardown(async () => {
  for (const p of procs.reverse()) await ('stop' in p ? p.stop() : p.close()).catch(() => {});
  await lab?.close();
});

t.test('hall publishes 720p30 through Janus; wrtc and Chromium subscribers decode it in order', async (t) => {
  lab = await startJanusLab();
  const hallLog = memoryLogger('hall');
  hallLines = hallLog.lines;
  const hall: MediaController = await startHall(lab, {}, hallLog.log);
  procs.push(hall);
  t.equal(hall.report().status, 'joined', 'hall joined the room');

  const centre = await startCentre(lab);
  procs.push(centre);
  const chrome: ChromiumSubscriber = await startChromiumSubscriber(lab.hostUrl, ROOM, 'hall');
  procs.push(chrome);

  // Skip the first seconds (ICE, first keyframe, Chromium warming up), then measure 8 s.
  await waitFor(() => programme(centre).frames > 30, 15000);
  await sleep(2000);
  await chrome.drain();
  const before = programme(centre);
  await sleep(8000);
  const after = programme(centre);
  const chromeCheck = new FrameCheck();
  for (const f of await chrome.drain()) chromeCheck.add(f.stamp, f.at);
  const cr = chromeCheck.report();

  const hr = hall.report();
  t.ok(hr.seen, 'hall: the bridge reports receiving our video (seen)');
  t.ok(hr.heard, 'hall: the bridge reports receiving our audio (heard)');
  t.equal(hr.stats?.width, 1280, 'hall sends 1280 wide');
  t.equal(hr.stats?.height, 720, 'hall sends 720 high');
  t.ok((hr.stats?.fps ?? 0) >= 25, `hall encodes ~30 fps (${hr.stats?.fps})`);

  const got = after.frames - before.frames;
  t.ok(got >= 8 * 25, `wrtc subscriber decoded ${got} stamped frames in 8 s`);
  t.equal(after.outOfOrder, 0, 'wrtc subscriber: no frame out of order');
  t.equal(after.unreadable, 0, 'wrtc subscriber: every frame carried a readable stamp');
  const missing = after.missing - before.missing;
  t.ok(missing <= got * 0.02, `wrtc subscriber: ${missing} frames missing of ${got + missing}`);
  t.ok((after.latencyP95Ms ?? Infinity) <= 400, `wrtc subscriber: p50 ${after.latencyP50Ms} ms, p95 ${after.latencyP95Ms} ms`);
  t.ok(after.audioLoudSamples > 48000 * 5, `wrtc subscriber hears the tone (${after.audioLoudSamples} loud samples)`);

  t.ok(cr.frames >= 8 * 20, `Chromium decoded ${cr.frames} stamped frames in 8 s`);
  t.equal(cr.outOfOrder, 0, 'Chromium: no frame out of order');
  t.ok(cr.unreadable <= cr.frames * 0.02, `Chromium: ${cr.unreadable} unreadable stamps`);
  t.ok((cr.latencyP95Ms ?? Infinity) <= 400, `Chromium: p50 ${cr.latencyP50Ms} ms, p95 ${cr.latencyP95Ms} ms`);
  if (t.passing() === false) t.comment(hallLog.lines.slice(-30).join('\n'));
});

t.test('mute, audio-only and quality change what the bridge gets', async (t) => {
  const hall = procs[0] as MediaController;
  const centre = procs[1] as MediaController;
  await hall.setMuted(true);
  t.ok(await waitFor(() => !hall.report().heard, 4000), 'muted: not heard');
  await hall.setMuted(false);
  t.ok(await waitFor(() => hall.report().heard, 6000), 'unmuted: heard again');

  await hall.setQuality('360p');
  t.ok(await waitFor(() => hall.report().stats?.height === 360 && programme(centre).height === 360, 10000), 'quality 360p: the centre decodes 640x360');
  await hall.setAudioOnly(true);
  const frames = programme(centre).frames;
  await sleep(3000);
  const f1 = programme(centre).frames;
  await sleep(3000);
  t.ok(programme(centre).frames - f1 <= 2, `audio-only: video stops (${programme(centre).frames - f1} frames in 3 s)`);
  t.ok(f1 >= frames, 'frame counter does not go back');
  t.ok(hall.report().audioOnly, 'report says audio-only');
  t.ok(await waitFor(() => hall.report().heard, 4000), 'audio-only: still heard');
  await hall.setAudioOnly(false);
  await hall.setQuality('720p');
  t.ok(await waitFor(() => programme(centre).height === 720, 10000), 'back to 720p at the centre');

  const st = await hall.selftest(2);
  t.ok(st.received, 'selftest: the bridge received the tone');
  t.ok(st.packetsSent >= 90, `selftest: ${st.packetsSent} packets sent in 2 s`);
  t.equal(st.packetsLost, 0, 'selftest: no loss on a clean link');
  t.ok(st.rttMs !== null && st.rttMs < 50, `selftest: rtt ${st.rttMs} ms`);
  if (t.passing() === false) t.comment(hallLines.slice(-40).join('\n'));
});
