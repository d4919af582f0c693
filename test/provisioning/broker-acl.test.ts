// The rendered password file and ACL, loaded by a real Mosquitto: each box is confined to its own topics and its
// groups' commands, and the claim credential can ask for an identity and nothing else (lab/acl-checks.ts; the same
// checks run against an ejabberd cluster in cluster-acl.test.ts).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { carrierWithBroker, login } from '../../lab/provision-fixture.js';
import { boxChecks, claimChecks } from '../../lab/acl-checks.js';
import { hashPassword, verifyPassword, renderPasswd } from '../../provisioning/passwd.js';
import { startBroker } from '../../lab/mosquitto.js';

// One carrier for the file (its broker plugin is compiled once): the checks log in with their own client ids and
// each ends its clients, so they leave nothing behind that another scenario reads.
const c = await carrierWithBroker(3);
t.teardown(() => c.cleanup());
const url = c.broker.url;

t.test('$7$ hashes: mosquitto_passwd output verifies here, and the broker accepts a file written here', async (t) => {
  const pw = join(c.dir, 'tool.passwd');
  execFileSync('mosquitto_passwd', ['-c', '-b', pw, 'alice', 's3cret ü']);
  const [user, hash] = readFileSync(pw, 'utf8').trim().split(':');
  t.equal(user, 'alice');
  t.match(hash, /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/, 'the tool writes the shape we write');
  t.ok(verifyPassword('s3cret ü', hash), 'the tool hash verifies with our PBKDF2');
  t.notOk(verifyPassword('s3cret u', hash), 'a wrong password does not');
  t.match(hashPassword('x'), /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);

  const ours = join(c.dir, 'ours.passwd');
  writeFileSync(ours, renderPasswd([{ username: 'bob', hash: hashPassword('hunter2 ü') }]));
  const b = await startBroker({ extraConfig: [`password_file ${ours}`] });
  t.teardown(() => b.cleanup());
  const ok = await login(b.url, 'bob', 'hunter2 ü', 'bob-1');
  t.ok(ok.connected, 'the real broker accepts our hash');
  await ok.endAsync();
  await t.rejects(login(b.url, 'bob', 'hunter3', 'bob-2'), /Not authorized|Bad User Name or Password/, 'and refuses a wrong password');
});

t.test('boxes are confined to their own topics and their groups', async (t) => {
  for (const r of await boxChecks({ a: url, b: url, service: url, claim: url }, c.store)) t.equal(r.got, r.want, r.what);
});

t.test('the claim credential asks for an identity and does nothing else', async (t) => {
  for (const r of await claimChecks({ a: url, b: url, service: url, claim: url }, c.store)) t.equal(r.got, r.want, r.what);
});
