// A hall killed -9 during a meeting and started again (as systemd's Restart= does) comes back idle: the agent keeps
// no record of the join it was sent. The console, which knows the meeting's membership, sends it `join` again, alone,
// with an audit line `meeting.rejoin` by `system`; a hall the operator made leave is not rejoined. Real server, real
// broker, real agent processes. These halls have no media, so the agent answers `join` with a refusal: that answer
// on the wire, correlated with the console's rejoin, is what proves the restarted agent received it.
import t from 'tap';
import { Observer, type Received } from '../../lab/observer.js';
import { startAgent } from '../../lab/agent-process.js';
import { REJOIN_EVERY_S } from '../../central/ops/rejoin.js';
import { HALLS, startWorld, eventually } from './world.js';

const halls = HALLS.filter((h) => h.id === 'vn-10001' || h.id === 'vn-10002');
const w = await startWorld({}, halls);
t.teardown(() => w.close());
const watch = await Observer.connect(w.brokers.viettel.url, ['diemcau/#']);
t.teardown(() => watch.close());
const sent = (pred: (m: Received) => boolean): Received[] => watch.messages.filter(pred);
const hall = (box: string) => w.halls.find((h) => h.id === box)!;
let firstRejoinAt = 0;
const detail = async (box: string) => (await w.nat.get(`/api/halls/${box}`)).body;

/** SIGKILL, seen offline by the console (the will), then the same config started again; resolves with the new pid. */
async function killAndRestart(box: string): Promise<number> {
  const h = hall(box);
  const old = h.agent!;
  old.proc.kill('SIGKILL');
  await old.exited;
  await eventually(async () => (await detail(box)).row.presence === 'offline', `${box} offline in the console`);
  h.agent = startAgent(old.configPath);
  const pid = h.agent.proc.pid!;
  // The console has taken the new agent's own state (its pid): it has judged the hall on what it reports now.
  await eventually(async () => {
    const d = await detail(box);
    return d.row.presence === 'online' && d.state?.agent?.pid === pid;
  }, `${box} back online with its new state`, 20000);
  return pid;
}

const meeting = (await w.nat.post('/api/meetings', { title: 'Hội nghị toàn quốc', bridge: 'http://127.0.0.1:9/janus', room: 4321 })).body;
t.test('the operator joins p-01 (two halls), then makes vn-10002 leave', async (t) => {
  const join = await w.nat.post(`/api/meetings/${meeting.id}/join`, { scope: { groups: ['p-01'] } });
  t.equal(join.status, 200, 'the operator joins p-01');
  await eventually(() => sent((m) => /^diemcau\/v1\/vn-1000[12]\/reply\/join$/.test(m.topic)).length === 2, 'both halls answered the join', 20000);
  const leave = await w.nat.post(`/api/meetings/${meeting.id}/leave`, { scope: { boxes: ['vn-10002'] } });
  t.equal(leave.status, 200, 'the operator makes vn-10002 leave');
  await eventually(() => sent((m) => m.topic === 'diemcau/v1/vn-10002/reply/leave').length === 1, 'vn-10002 answered the leave', 20000);
});

t.test('a hall killed -9 and restarted is sent join again, alone, and answers it', async (t) => {
  const since = Date.now();
  await killAndRestart('vn-10001');
  const rejoin = await eventually(() => sent((m) => m.at >= since && m.topic === 'diemcau/v1/vn-10001/cmd/join')[0], 'join sent again to vn-10001', 15000);
  firstRejoinAt = rejoin.at;
  t.same(rejoin.json, { bridge: 'http://127.0.0.1:9/janus', room: 4321, display: 'vn-10001' }, "the meeting's join, under the box id");
  t.equal(sent((m) => m.at >= since && m.topic.endsWith('/cmd/join')).length, 1, 'to that hall alone, once');
  const corr = Buffer.from(rejoin.properties.correlationData as Buffer).toString();
  const answer = await eventually(
    () => sent((m) => m.topic.startsWith('diemcau/v1/vn-10001/reply/') && Buffer.from((m.properties.correlationData as Buffer) ?? '').toString() === corr)[0],
    'the restarted agent answers the rejoin',
  );
  t.match(answer.json, { box: 'vn-10001', cmd: 'join' }, `the restarted agent answered the rejoin: ok ${answer.json.ok}, ${answer.json.error?.code ?? ''}`);
  const audit = (await w.nat.get('/api/audit?limit=50')).body;
  const line = audit.find((a: any) => a.action === 'meeting.rejoin');
  t.ok(line, 'an audit line meeting.rejoin');
  t.match(line, { operator: 'system', outcome: 'ok', scope: { boxes: ['vn-10001'] } }, 'by system, for that hall');
  t.match(line.detail, new RegExp(`meeting ${meeting.id}`), `detail: ${line.detail}`);
});

t.test('a hall the operator made leave is not rejoined when it restarts', async (t) => {
  const since = Date.now();
  await killAndRestart('vn-10002');
  // The rejoin decision is taken as the state is read (the audit line is written then): the console has read it.
  const audit = (await w.nat.get('/api/audit?limit=50')).body;
  t.equal(audit.filter((a: any) => a.action === 'meeting.rejoin' && JSON.stringify(a.scope).includes('vn-10002')).length, 0, 'no meeting.rejoin for vn-10002');
  t.equal(sent((m) => m.at >= since && /\/cmd\/join$/.test(m.topic)).length, 0, 'no join on the wire since it restarted');
});

t.test('a hall restarted again within REJOIN_EVERY_S is not sent join again yet', async (t) => {
  const since = Date.now();
  t.ok(since - firstRejoinAt < REJOIN_EVERY_S * 1000, 'still inside the window of the first rejoin');
  await killAndRestart('vn-10001');
  const audit = (await w.nat.get('/api/audit?limit=50')).body;
  t.equal(audit.filter((a: any) => a.action === 'meeting.rejoin').length, 1, 'still the one meeting.rejoin');
  t.equal(sent((m) => m.at >= since && /\/cmd\/join$/.test(m.topic)).length, 0, 'no join on the wire since it restarted');
});
