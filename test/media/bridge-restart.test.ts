// The bridge restarts (Janus stopped and started again, so every session on it is gone): the hall and a centre
// that only receives both find their sessions gone, make new ones without waiting out the ICE restarts, and the
// centre decodes and hears the hall again.
import t from 'tap';
import { startJanus, startJanusLab, type JanusLab, type JanusServer } from '../../lab/janus.js';
import { memoryLogger, programme, startCentre, startHall } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';
import { RECOVERY } from '../../agent/media/worker/recovery-policy.js';
import type { MediaController } from '../../agent/media/controller.js';

let lab: JanusLab | undefined;
let janus2: JanusServer | undefined;
let hall: MediaController | undefined;
let centre: MediaController | undefined;
const hallLog = memoryLogger('hall');
const centreLog = memoryLogger('centre');
t.teardown(async () => {
  await hall?.stop().catch(() => {});
  await centre?.stop().catch(() => {});
  await janus2?.stop();
  await lab?.close();
});

t.test('Janus restarts: hall and receive-only centre come back on new sessions', async (t) => {
  lab = await startJanusLab();
  hall = await startHall(lab, { width: 640, height: 360 }, hallLog.log);
  centre = await startCentre(lab, centreLog.log);
  t.ok(await waitFor('programme(centre!).frames > 30 && hall!.report().heard', () => programme(centre!).frames > 30 && hall!.report().heard, { timeoutMs: 20000 }), 'the centre decodes the hall, the hall is heard');

  await lab.janus.stop();
  janus2 = await startJanus(lab.sfu);
  t.ok(await waitFor('hall!.report().status === \'joined\' && hall!.report().heard', () => hall!.report().status === 'joined' && hall!.report().heard, { timeoutMs: 40000 }), `the hall is joined and heard again (${hall!.report().status})`);
  t.ok(await waitFor('centre!.report().status === \'joined\'', () => centre!.report().status === 'joined', { timeoutMs: 20000 }), `the centre is joined again (${centre!.report().status})`);
  const frames = programme(centre).frames;
  const loud = programme(centre).audioLoudSamples;
  t.ok(await waitFor('programme(centre!).frames > frames + 30', () => programme(centre!).frames > frames + 30, { timeoutMs: 40000 }), `the centre decodes the hall again (${programme(centre).frames - frames} frames)`);
  t.ok(await waitFor('programme(centre!).audioLoudSamples > loud + 48000', () => programme(centre!).audioLoudSamples > loud + 48000, { timeoutMs: 20000 }), 'and hears it');
  // The hall's session was gone: no use pinging it for the whole ICE restart window.
  const recovered = hallLog.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'media: recovered');
  t.ok(recovered.length >= 1 && recovered[0].ms < RECOVERY.iceRestartWindowMs, `the hall recovered in ${recovered[0]?.ms} ms, inside the ICE restart window`);
  if (!t.passing()) {
    t.comment(hallLog.lines.slice(-25).join('\n'));
    t.comment(centreLog.lines.slice(-25).join('\n'));
  }
});
