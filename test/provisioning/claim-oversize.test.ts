// A leaked factory credential sends the claim service a 10 MB request and a 100 KB one, through the carrier's broker
// as `diemcau-provision` renders it (password file, ACL, client-id plugin) and `serve` as a carrier runs it. The
// 10 MB one never reaches serve (it announces a Maximum Packet Size, so the broker drops it); the 100 KB one is
// answered `bad_request` naming the limit, before it is parsed; serve stays up and a factory box then claims.
import t from 'tap';
import { carrierWithBroker, factoryBoxConfig, login } from '../../lab/provision-fixture.js';
import { startProvisionCli } from '../../lab/provision-cli.js';
import { startAgent } from '../../lab/agent-process.js';
import { claimTopics } from '../../core/topics.js';
import { MAX_CLAIM_REQUEST_BYTES } from '../../core/claim.js';
import { waitFor } from '../../lab/wait.js';

const c = await carrierWithBroker(3, { serials: true });
t.teardown(() => c.cleanup());
const carrier = await c.store.carrier();
const serve = startProvisionCli(['serve', '--db', c.store.dir, '--url', c.broker.url]);
t.teardown(() => serve.stop());
await serve.waitLog((l) => l.msg === 'serve: answering claims', 'serve up', 20000);

t.test('an oversized claim request is dropped or refused before it is parsed; serve stays up', async (t) => {
  const serial = 'SN00011'; // a factory serial, as a leaked image would carry
  const topics = claimTopics(serial);
  const attacker = await login(c.broker.url, carrier.claim.username, carrier.claim.password, serial);
  t.teardown(() => attacker.endAsync(true));
  const answers: string[] = [];
  attacker.on('message', (_t, p) => answers.push(p.toString()));
  await attacker.subscribeAsync(topics.res, { qos: 1 });
  const ask = (payload: string, corr: string) =>
    attacker.publishAsync(topics.req, payload, { qos: 1, properties: { responseTopic: topics.res, correlationData: Buffer.from(corr) } });

  const before = serve.lines.length;
  const filler = (bytes: number) => JSON.stringify({ serial, kind: 'password', pad: 'x'.repeat(bytes) });
  await ask(filler(10 * 1024 * 1024), 'ten-mb');
  await ask(filler(100 * 1024), 'hundred-kb');
  await waitFor('an answer to the 100 KB request', () => answers.length >= 1, { timeoutMs: 10000 });
  const refused = JSON.parse(answers[0]);
  t.match(refused, { ok: false, error: { code: 'bad_request', message: new RegExp(`is ${filler(100 * 1024).length} bytes, over the ${MAX_CLAIM_REQUEST_BYTES}-byte limit`) } });
  const lines = serve.lines.slice(before).filter((l) => String(l.msg).startsWith('serve: claim'));
  t.equal(lines.length, 1, `serve logged one refusal, for the 100 KB request only: ${lines.map((l) => l.message).join(' | ')}`);
  t.ok(lines.every((l) => JSON.stringify(l).length < 2000), 'no line carries the padding');
  t.equal(serve.proc.exitCode, null, 'serve is still running');
});

t.test('then a factory box claims as usual', async (t) => {
  const { path, cleanup } = await factoryBoxConfig(c, 'SN00012');
  t.teardown(cleanup);
  const agent = startAgent(path);
  t.teardown(() => agent.stop());
  await agent.waitLog((l) => l.msg === 'claim: identity stored', 'identity stored', 20000);
  t.match(await serve.waitLog((l) => l.msg === 'serve: claim granted', 'granted', 20000), { serial: 'SN00012', boxId: 'vn-00012' });
});
