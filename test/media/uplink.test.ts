// The hall's uplink through a real Janus: the worker (in the hall namespace) publishes the stamped test pattern
// and tone; a second wrtc worker and headless Chromium subscribe on the host side and check, from the pixels they
// decode, that frames arrive in order and that what the hall encoded arrives. Counts are compared between parts
// measured over the same frames or the same window, never against the clock: how fast this machine is belongs to
// `npm run bench -- media` (fps sent, latency, CPU).
import t from 'tap';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { startChromiumSubscriber, type ChromiumSubscriber } from '../../lab/media/chromium-subscriber.js';
import { FrameCheck } from '../../agent/media/programme/frame-check.js';
import { ROOM, memoryLogger, programme, sleep, startCentre, startHall, nextReport } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';
import type { MediaController } from '../../agent/media/controller.js';

// Both tests use one hall and one centre, started here: neither test depends on the other having run or passed.
let lab: JanusLab;
let hall: MediaController;
let centre: MediaController;
/** The first test's Chromium subscriber, launched while the centre starts (a browser takes seconds to come up). */
let chromium: Promise<ChromiumSubscriber> | undefined;
const hallLog = memoryLogger('hall');
const centreLog = memoryLogger('centre');
t.before(async () => {
  lab = await startJanusLab();
  hall = await startHall(lab, {}, hallLog.log);
  chromium = startChromiumSubscriber(lab.hostUrl, ROOM, 'hall');
  chromium.catch(() => {}); // the test that uses it awaits it
  centre = await startCentre(lab, centreLog.log);
  await waitFor('the centre decoding the hall', () => programme(centre), { until: (p) => p.frames > 30, timeoutMs: 30_000 }).catch((err) => {
    // Once, the centre decoded 10 frames and then none for 30 s while audio flowed (quiet run 23): what each side said.
    t.comment(`hall: ${JSON.stringify(hall.report())}\n${hallLog.lines.slice(-40).join('\n')}`);
    t.comment(`centre:\n${centreLog.lines.slice(-40).join('\n')}`);
    throw err;
  });
});
t.teardown(async () => {
  await chromium?.then((c) => c.close()).catch(() => {}); // closed already when the first test ran
  await centre?.stop().catch(() => {});
  await hall?.stop().catch(() => {});
  await lab?.close();
});
t.afterEach((t) => {
  if (!t.passing()) t.comment(hallLog.lines.slice(-40).join('\n'));
});

/** Stale latency bound: a frame queue that grows shows as seconds; the real number is the bench's latency_p95_ms. */
const QUEUED_MS = 2000;

t.test('hall publishes 720p30 through Janus; wrtc and Chromium subscribers decode it in order', async (t) => {
  t.equal(hall.report().status, 'joined', 'hall joined the room');
  const chrome = await chromium!;
  t.teardown(() => chrome.close());
  await waitFor('Chromium decoding the hall', () => chrome.framesDecoded(), { until: (n) => n > 30, timeoutMs: 30_000, everyMs: 200 });

  // Skip Chromium's first seconds (first keyframe, warming up), then measure about 8 s between two hall reports.
  // The wrtc subscriber is judged over the same frames (counters) as the hall's numbers: read once it has decoded
  // up to the hall's last frame at each report, so a subscriber running behind on a busy machine is compared with
  // what the hall sent, not with the clock. Chromium is read at the reports, over the same wall-clock window.
  await sleep(2000);
  await chrome.drain();
  const centreUpTo = (counter: number) =>
    waitFor(`the centre decoding up to frame ${counter}`, () => programme(centre), { until: (p) => (p.lastCounter ?? -1) >= counter, timeoutMs: 30_000, everyMs: 5 });
  const h0 = await nextReport(hall);
  const [k0, t0] = [await chrome.framesDecoded(), performance.now()];
  const c0 = await centreUpTo(h0.capture?.frames ?? 0);
  await sleep(8000);
  const h1 = await nextReport(hall);
  const [k1, seconds] = [await chrome.framesDecoded(), (performance.now() - t0) / 1000];
  const c1 = await centreUpTo(h1.capture?.frames ?? 0);
  const shown = new FrameCheck();
  for (const f of await chrome.drain()) shown.add(f.stamp, f.at);
  const cr = shown.report();

  const hr = hall.report();
  t.ok(hr.seen, 'hall: the bridge reports receiving our video (seen)');
  t.ok(hr.heard, 'hall: the bridge reports receiving our audio (heard)');
  t.equal(hr.stats?.width, 1280, 'hall sends 1280 wide');
  t.equal(hr.stats?.height, 720, 'hall sends 720 high');
  t.equal(h1.level, '720p30', 'at the top level: every captured frame goes to the encoder');

  // Every stamped frame the centre does not decode shows as a gap in the counters ("missing"). Frames the hall
  // captured but its encoder skipped (libwebrtc drops frames when the CPU is short) are gaps too: what the centre
  // misses beyond those is loss on the way. A few frames of slack for reports taken a moment apart.
  const encoded = (h1.framesEncoded ?? 0) - (h0.framesEncoded ?? 0);
  const skipped = (h1.capture?.frames ?? 0) - (h0.capture?.frames ?? 0) - encoded;
  const got = c1.frames - c0.frames;
  const missing = c1.missing - c0.missing;
  t.comment(`over ${seconds.toFixed(1)} s: hall encoded ${encoded} frames, its encoder skipped ${skipped}; centre decoded ${got}, ${missing} missing; Chromium decoded ${k1 - k0}`);
  t.ok(encoded > 0, 'the hall encodes frames');
  t.ok(got >= encoded * 0.98 - 5, `wrtc subscriber decoded the frames the hall encoded (${got} of ${encoded}, frames ${c0.lastCounter}-${c1.lastCounter})`);
  t.ok(missing <= skipped + got * 0.02 + 5, `wrtc subscriber: ${missing} missing, ${skipped} of them never encoded`);
  t.equal(c1.outOfOrder, 0, 'wrtc subscriber: no frame out of order');
  t.equal(c1.unreadable, 0, 'wrtc subscriber: every frame carried a readable stamp');
  t.ok((c1.latencyP95Ms ?? Infinity) < QUEUED_MS, `wrtc subscriber: frames not queued (p50 ${c1.latencyP50Ms} ms, p95 ${c1.latencyP95Ms} ms)`);
  // The tone never stops; a second of it over the window tells heard from not heard.
  const loud = c1.audioLoudSamples - c0.audioLoudSamples;
  t.ok(loud > 48000, `wrtc subscriber hears the tone (${(loud / 48000).toFixed(1)} s of it while ${got} frames were decoded)`);

  // Chromium decodes the same stream: its count against what the hall encoded over the same window (its lag
  // behind the hall is about the same at both ends; ten frames for the difference).
  const decoded = k1 - k0;
  t.ok(decoded >= encoded * 0.9 - 10, `Chromium decoded ${decoded} frames while the hall encoded ${encoded} (${seconds.toFixed(1)} s)`);
  t.ok(cr.frames > 0, `Chromium showed ${cr.frames} stamped frames of them`);
  t.equal(cr.outOfOrder, 0, 'Chromium: no frame shown out of order');
  t.ok(cr.unreadable <= cr.frames * 0.02, `Chromium: ${cr.unreadable} unreadable stamps`);
  t.ok((cr.latencyP95Ms ?? Infinity) < QUEUED_MS, `Chromium: frames not queued (p50 ${cr.latencyP50Ms} ms, p95 ${cr.latencyP95Ms} ms)`);
});

t.test('mute, audio-only and quality change what the bridge gets', async (t) => {
  await waitFor('the hall heard and seen', () => hall.report(), { until: (r) => r.heard && r.seen, timeoutMs: 20_000 });
  await hall.setMuted(true);
  await waitFor('muted: not heard', () => hall.report(), { until: (r) => !r.heard, timeoutMs: 15_000 });
  t.pass('muted: not heard');
  await hall.setMuted(false);
  await waitFor('unmuted: heard again', () => hall.report(), { until: (r) => r.heard, timeoutMs: 15_000 });
  t.pass('unmuted: heard again');

  await hall.setQuality('360p');
  await waitFor('quality 360p at the hall and the centre', () => [hall.report().stats?.height, programme(centre).height], {
    until: ([h, c]) => h === 360 && c === 360,
    timeoutMs: 30_000,
  });
  t.pass('quality 360p: the centre decodes 640x360');
  const frames = programme(centre).frames;
  await hall.setAudioOnly(true);
  await waitFor('a report in audio-only', () => hall.report(), { until: (r) => r.audioOnly });
  t.ok(hall.report().audioOnly, 'report says audio-only');
  // The hall's frame counter at that report: every frame captured after it was captured in audio-only. Judged by
  // counters, a centre still decoding frames from before the switch (running behind) is no failure; a frame
  // captured after it, decoded at the centre, is.
  const atSwitch = hall.extra().capture?.frames ?? 0;
  // Video that went on would reach the centre within its latency (well under a second on loopback): 4 s of none
  // tells stopped from not.
  await sleep(4000);
  const after = programme(centre);
  t.ok((after.lastCounter ?? 0) <= atSwitch, `audio-only: video stops (last frame at the centre ${after.lastCounter}, audio-only from ${atSwitch})`);
  t.ok(after.frames >= frames, 'frame counter does not go back');
  await waitFor('audio-only: still heard', () => hall.report(), { until: (r) => r.heard, timeoutMs: 15_000 });
  t.pass('audio-only: still heard');
  await hall.setAudioOnly(false);
  await hall.setQuality('720p');
  await waitFor('720p at the centre again', () => programme(centre), { until: (p) => p.height === 720, timeoutMs: 30_000 });
  t.pass('back to 720p at the centre');

  const st = await hall.selftest(2);
  t.ok(st.received, 'selftest: the bridge received the tone');
  // Opus sends a packet every 20 ms; half of that over the selftest's own measured span is generous.
  t.ok(st.packetsSent >= st.durationMs / 20 / 2, `selftest: ${st.packetsSent} packets sent in ${st.durationMs} ms`);
  t.equal(st.packetsLost, 0, 'selftest: no loss on a clean link');
  // A sane number, not a speed floor: loopback through two namespaces takes well under a millisecond; a round
  // trip near a second would be a stall or a unit error.
  t.ok(st.rttMs !== null && st.rttMs < 1000, `selftest: rtt ${st.rttMs} ms`);
});
