// The media worker takes its messages one at a time, in order (issue 11): a leave that arrives while a join is
// still under way runs after it, and leaves the worker left: no report, no stats timer, no session and no place in
// the room afterwards. A leave must not wait for a bridge that does not answer either: it cancels the join.
// Driven through the controller, as the agent drives it: join, and leave before the join is done.
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJanusLab, type JanusLab } from '../../lab/janus.js';
import { http } from '../../agent/media/signalling/http.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { ROOM, mediaConfig, memoryLogger, sleep } from '../../lab/media/fixture.js';
import { waitFor } from '../../lab/wait.js';

interface Entry {
  at: number;
  type: 'report' | 'joined' | 'left';
  status?: string;
}

/** What the worker says, in the order it says it. */
function journal(m: MediaController): Entry[] {
  const entries: Entry[] = [];
  m.on('report', (r: { status: string }) => entries.push({ at: Date.now(), type: 'report', status: r.status }));
  m.on('joined', () => entries.push({ at: Date.now(), type: 'joined' }));
  m.on('left', () => entries.push({ at: Date.now(), type: 'left' }));
  return entries;
}

function afterLastLeft(entries: Entry[]): Entry[] {
  const i = entries.map((e) => e.type).lastIndexOf('left');
  return i < 0 ? entries : entries.slice(i + 1);
}

/** Display names of the publishers Janus has in `room`, asked over its HTTP API. */
async function participants(url: string, room: number): Promise<string[]> {
  const post = async (path: string, body: Record<string, unknown>) =>
    JSON.parse((await http('POST', url + path, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, transaction: 'order' }), timeoutMs: 3000 })).text);
  const session = (await post('', { janus: 'create' })).data.id;
  try {
    const handle = (await post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
    const r = await post(`/${session}/${handle}`, { janus: 'message', body: { request: 'listparticipants', room } });
    return (r.plugindata?.data?.participants ?? []).map((p: { display: string }) => p.display);
  } finally {
    await post(`/${session}`, { janus: 'destroy' });
  }
}

const stops: Array<() => Promise<void>> = [];
t.teardown(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
});

t.test('a leave right behind a join (real Janus): afterwards the worker is left and nothing of the meeting runs', async (t) => {
  const lab: JanusLab = await startJanusLab();
  stops.push(() => lab.close());
  const log = memoryLogger('hall');
  const hall = createMediaPath(mediaConfig({ width: 640, height: 360, receiveProgramme: false }), log.log, { spawnPrefix: lab.hall.prefix });
  stops.push(() => hall.stop());
  await hall.start();
  const entries = journal(hall);
  const join = { bridge: lab.hallUrl, room: ROOM, display: 'hall-order', reportMs: 100 };

  // The leave sent with the join, and at points during it: once the worker reports that it is joining (capture
  // starting), and later while it opens its session with Janus and publishes.
  for (const delayMs of [null, 0, 30, 100, 250]) {
    const when = delayMs === null ? 'at once' : `${delayMs} ms into joining`;
    entries.length = 0;
    const joining = hall.join(join);
    if (delayMs !== null) {
      await waitFor('the join under way', () => entries.some((e) => e.status === 'joining'), { timeoutMs: 10000, everyMs: 5 });
      await sleep(delayMs);
    }
    await hall.leave();
    await joining;
    t.ok(entries.some((e) => e.type === 'left'), `${when}: the worker said left`);
    // Ten report periods: a stats timer still running would report about ten times.
    await sleep(1000);
    const after = afterLastLeft(entries);
    t.same(after, [], `${when}: nothing from the worker after left (${after.map((e) => e.status ?? e.type).join(', ')})`);
    t.equal(hall.report().status, 'idle', `${when}: status idle`);
    // Janus takes the publisher out of the room on its own threads after answering the session's destroy: on a
    // busy machine that has been seen to take past the second above (ci run 19, beside stress-ng). A hall the
    // worker forgot would stay until Janus's session timeout (60 s): 10 s tells the two apart.
    const left = await waitFor('the hall out of the room', () => participants(lab.hostUrl, ROOM), { until: (p) => !p.includes('hall-order'), timeoutMs: 10_000, everyMs: 100 }).catch(() => null);
    t.ok(left, `${when}: the hall is not in the room`);
    if (!t.passing()) t.comment(entries.map((e) => `${e.at % 100000} ${e.type} ${e.status ?? ''}`).join('\n'));
  }

  entries.length = 0;
  const r = await hall.join(join);
  t.equal(r.status, 'joined', 'a join afterwards joins');
  t.ok((await participants(lab.hostUrl, ROOM)).includes('hall-order'), 'and the hall is in the room');
  await hall.leave();
  t.equal(hall.restarts, 0, 'the worker never crashed');
  if (!t.passing()) t.comment(log.lines.slice(-40).join('\n'));
});

t.test('a leave cancels a join that waits on a bridge that does not answer', async (t) => {
  // A bridge that takes the connection and the request and never answers (a hung Janus).
  const held: IncomingMessage[] = [];
  let requestClosedAt: number | null = null;
  const bridge = createServer((req) => {
    held.push(req);
    req.socket.once('close', () => (requestClosedAt ??= Date.now()));
  });
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', r));
  stops.push(async () => {
    bridge.closeAllConnections();
    await new Promise((r) => bridge.close(r));
  });
  const log = memoryLogger('hall');
  const hall = createMediaPath(mediaConfig({ width: 640, height: 360, receiveProgramme: false }), log.log);
  stops.push(() => hall.stop());
  await hall.start();
  const entries = journal(hall);

  const joining = hall.join({ bridge: `http://127.0.0.1:${(bridge.address() as AddressInfo).port}/janus`, room: ROOM, reportMs: 100 });
  t.ok(await waitFor('the join at the bridge', () => held.length > 0, { timeoutMs: 10000, everyMs: 20 }), 'the join reached the bridge');
  await hall.leave();
  const left = entries.find((e) => e.type === 'left');
  t.ok(left, 'the worker said left');
  t.ok(left && (requestClosedAt === null || left.at < requestClosedAt), 'before the join\'s request to the bridge had ended: the leave did not wait for it');
  await joining;
  // Past the request's own timeout (5 s), when a join that was not cancelled would go on.
  await sleep(6000);
  const after = afterLastLeft(entries);
  t.same(after, [], `nothing from the worker after left (${after.map((e) => e.status ?? e.type).join(', ')})`);
  t.equal(hall.report().status, 'idle', 'status idle');
  t.equal(held.length, 1, 'no more requests to the bridge after the leave');
  if (!t.passing()) t.comment(log.lines.slice(-40).join('\n'));
});
