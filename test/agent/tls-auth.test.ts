// The agent's broker link over TLS with a username and password, against a real Mosquitto with a TLS listener
// (certificates made by openssl) and a password file made by mosquitto_passwd. A wrong password is refused by the
// broker, the agent says so and stays up.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../lab/mosquitto.js';
import { freeTcpPort } from '../../lab/ports.js';
import mqtt from 'mqtt';
import { startAgent, writeConfig } from '../../lab/agent-process.js';
import { scratchDir } from '../../lab/scratch-dir.js';

const dir = await mkdtemp(join(tmpdir(), 'diemcau-tls-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const f = (n: string) => join(dir, n);
const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=test carrier CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr'));
execFileSync('bash', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > ${f('san.ext')}`]);
ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'));
execFileSync('mosquitto_passwd', ['-b', '-c', f('passwd'), 'vn-11001', 's3cret-from-provisioning']);
execFileSync('mosquitto_passwd', ['-b', f('passwd'), 'ops', 'ops-pass']);

const tlsPort = await freeTcpPort();
const broker = await startBroker({
  extraConfig: [
    `password_file ${f('passwd')}`,
    `listener ${tlsPort} 127.0.0.1`,
    `cafile ${f('ca.pem')}`,
    `certfile ${f('server.pem')}`,
    `keyfile ${f('server.key')}`,
  ],
});
t.teardown(() => broker.cleanup());

t.test('registers over mqtts:// with its username and password', async (t) => {
  // The operator's client logs in as an operator (anonymous clients are refused on this broker).
  const ops = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'ops', password: 'ops-pass' });
  t.teardown(() => ops.endAsync(true));
  const got = new Promise<string>((r) => ops.on('message', (_t, p) => r(p.toString())));
  await ops.subscribeAsync('diemcau/v1/vn-11001/presence', { qos: 1 });
  const agent = startAgent(
    await writeConfig({
      box: { id: 'vn-11001' },
      mqtt: { brokers: [`mqtts://127.0.0.1:${tlsPort}`], username: 'vn-11001', password: 's3cret-from-provisioning', tls: { ca: f('ca.pem') } },
    }, await scratchDir(t, 'diemcau-test-')),
  );
  t.teardown(() => agent.stop());
  const reg = await agent.waitLog((l) => l.msg === 'registered with broker', 'registration');
  t.equal(reg.broker, `mqtts://127.0.0.1:${tlsPort}`);
  t.match(JSON.parse(await got), { state: 'online', box: 'vn-11001' });
});

t.test('a wrong password is refused by the broker; the agent says so, retries and stays up', async (t) => {
  const agent = startAgent(
    await writeConfig({
      box: { id: 'vn-11001' },
      mqtt: { brokers: [`mqtts://127.0.0.1:${tlsPort}`], username: 'vn-11001', password: 'wrong', tls: { ca: f('ca.pem') }, reconnect: { minMs: 100 } },
    }, await scratchDir(t, 'diemcau-test-')),
  );
  t.teardown(() => agent.stop());
  const failed = await agent.waitLog((l) => l.msg === 'broker connect failed', 'refusal');
  t.match(String(failed.reason), /Bad User Name or Password|Not authorized/);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(agent.proc.exitCode, null, 'still running');
});

t.test('a broker whose certificate the CA did not sign is refused', async (t) => {
  const agent = startAgent(
    await writeConfig({
      box: { id: 'vn-11002' },
      mqtt: { brokers: [`mqtts://127.0.0.1:${tlsPort}`], username: 'vn-11001', password: 's3cret-from-provisioning', reconnect: { minMs: 100 } },
    }, await scratchDir(t, 'diemcau-test-')),
  );
  t.teardown(() => agent.stop());
  const failed = await agent.waitLog((l) => l.msg === 'broker connect failed', 'TLS refusal');
  t.match(String(failed.reason), /self.signed|unable to verify|certificate/i);
});
