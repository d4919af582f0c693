// `diemcau-provision report BOXID`: what the technician saw when they pressed "done" on the box's page (the retained
// commissioning report on diemcau/v1/<box>/commissioning, core/payloads.ts): who and when, the selftest, the
// network, each device's health, and the camera snapshot (written to a file with --snapshot). Read on the broker
// the hall's box uses (its `broker` column), as the service login; --url reads another.
import { readFile, writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { Store } from './store.js';
import { boxTopics } from '../core/topics.js';
import { RECEIVE_MAXIMUM } from '../core/receive-maximum.js';
import { CommissioningReport } from '../core/payloads.js';
import { schemaErrors } from '../core/schema/parse.js';
import { BadRequestError, DisconnectedError } from '../core/errors.js';
import type { Args } from './args.js';
import { json, table } from './output.js';

/** The report retained for `boxId`, or null when none arrives within `waitMs`. */
async function readReport(url: string, login: { username: string; password: string }, ca: Buffer | undefined, boxId: string, waitMs: number): Promise<unknown> {
  const client = await mqtt
    .connectAsync(url, {
      protocolVersion: 5,
      clientId: `diemcau-provision-report-${process.pid}`,
      ...login,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      properties: { receiveMaximum: RECEIVE_MAXIMUM },
      ...(ca ? { ca } : {}),
    })
    .catch((err: Error) => {
      throw new DisconnectedError(`report: cannot connect to ${url} as ${login.username}: ${err.message} (give the broker with --url)`);
    });
  try {
    const topic = boxTopics(boxId).commissioning;
    const got = new Promise<Buffer>((resolve) => client.on('message', (t, payload) => t === topic && payload.length > 0 && resolve(payload)));
    await client.subscribeAsync(topic, { qos: 1 });
    let timer: NodeJS.Timeout | undefined;
    const payload = await Promise.race([got, new Promise<null>((r) => (timer = setTimeout(() => r(null), waitMs)))]);
    clearTimeout(timer);
    if (!payload) return null;
    try {
      return JSON.parse(payload.toString('utf8'));
    } catch {
      throw new BadRequestError(`report: ${topic} holds no JSON`);
    }
  } finally {
    await client.endAsync().catch(() => {});
  }
}

export async function report(a: Args): Promise<number> {
  if (a.pos.length !== 1) throw new BadRequestError('expected BOXID (see --help)');
  const [boxId] = a.pos;
  const s = new Store(a.get('db', process.env.DIEMCAU_DB ?? './diemcau-db')!);
  const [carrier, halls] = await Promise.all([s.carrier(), s.halls()]);
  const hall = halls[boxId];
  if (!hall) throw new BadRequestError(`report: no hall ${boxId} in ${s.dir}`);
  const url = a.get('url') ?? hall.broker;
  const cafile = a.get('cafile');
  const r = await readReport(url, carrier.service, cafile ? await readFile(cafile) : undefined, boxId, a.num('wait', 5) * 1000);
  if (r === null) {
    process.stderr.write(`diemcau-provision report: ${boxId} has sent no commissioning report (nothing retained on ${url})\n`);
    return 1;
  }
  const problems = schemaErrors(CommissioningReport, r);
  const rep = r as CommissioningReport;
  const file = a.get('snapshot');
  if (file && rep.snapshot?.jpeg) await writeFile(file, Buffer.from(rep.snapshot.jpeg, 'base64'));
  if (a.has('json')) {
    json({ ...rep, ...(problems.length ? { problems } : {}) });
    return problems.length ? 1 : 0;
  }
  const st = rep.selftest;
  const n = rep.network;
  const yes = (v: boolean | null | undefined) => (v === null || v === undefined ? 'cannot tell' : v ? 'yes' : 'no');
  table([
    { what: 'box', value: `${rep.box} (${rep.hall})` },
    { what: 'serial', value: rep.serial ?? '' },
    { what: 'technician', value: `${rep.technician?.name} from ${rep.technician?.address}` },
    { what: 'done at', value: rep.at },
    { what: 'agent', value: rep.version },
    { what: 'centre hears', value: st ? `${yes(st.received)}, loss ${st.lossPct} %, RTT ${st.rttMs ?? '?'} ms (${st.bridge}, ${st.at})` : 'no selftest run' },
    { what: 'network', value: n ? `${n.address ?? '?'} via ${n.gateway ?? 'no gateway'}, DNS ${n.dns?.join(' ') || 'none'}` : '' },
    { what: 'broker reachable', value: yes(n?.brokerReachable) },
    { what: 'clock in sync', value: yes(n?.clockSynced) },
    ...Object.entries(rep.devices ?? {}).map(([id, d]) => ({ what: `device ${id}`, value: `${d.health?.status}${d.health?.message ? `: ${d.health.message}` : ''}` })),
    { what: 'snapshot', value: rep.snapshot ? `${rep.snapshot.bytes} bytes JPEG${file ? `, written to ${file}` : ' (--snapshot FILE writes it)'}` : 'none' },
    ...(rep.notes ? [{ what: 'notes', value: rep.notes }] : []),
  ]);
  for (const p of problems) process.stderr.write(`diemcau-provision report: the report does not match its schema: ${p}\n`);
  return problems.length ? 1 : 0;
}
