// The rendered password file and ACL, loaded by a real Mosquitto: each box is confined to its own topics and its
// groups' commands, and the claim credential can ask for an identity and nothing else.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { carrierWithBroker, login, receives, delivered } from '../../lab/provision-fixture.js';
import { hashPassword, verifyPassword, renderPasswd } from '../../provisioning/passwd.js';
import { startBroker } from '../../lab/mosquitto.js';

t.test('$7$ hashes: mosquitto_passwd output verifies here, and the broker accepts a file written here', async (t) => {
  const c = await carrierWithBroker(1);
  t.teardown(() => c.cleanup());
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
  const c = await carrierWithBroker(3);
  t.teardown(() => c.cleanup());
  const ids = await c.store.identities();
  const halls = await c.store.halls();
  const carrier = await c.store.carrier();
  const [a, b] = Object.keys(ids).sort();
  const A = await login(c.broker.url, a, ids[a].password, a);
  const B = await login(c.broker.url, b, ids[b].password, b);
  const S = await login(c.broker.url, carrier.service.username, carrier.service.password, 'svc');
  t.teardown(async () => {
    await Promise.all([A, B, S].map((x) => x.endAsync(true)));
  });
  await t.rejects(login(c.broker.url, a, 'wrong', 'x'), /Not authorized|Bad User Name or Password/, 'a wrong password is refused');

  const cfgA = `diemcau/v1/${a}/config/desired`;
  const cfgB = `diemcau/v1/${b}/config/desired`;
  t.ok(await receives(A, cfgA, S, cfgA), 'A reads its own config');
  t.notOk(await receives(A, cfgB, S, cfgB), "A cannot subscribe to B's config");
  t.notOk(await receives(A, 'diemcau/v1/+/config/desired', S, cfgB), "A's wildcard does not reach B's config");
  t.notOk(await receives(A, '#', S, cfgB), "A's # does not reach B's config");
  t.notOk(await receives(A, `diemcau/v1/${b}/cmd/+`, S, `diemcau/v1/${b}/cmd/reboot`), "A cannot read B's commands");
  t.ok(await receives(A, `diemcau/v1/${a}/cmd/+`, S, `diemcau/v1/${a}/cmd/reboot`), 'A reads its own commands');
  const own = `diemcau/v1/group/${halls[a].groups[0]}/cmd/reboot`;
  t.ok(await receives(A, `diemcau/v1/group/${halls[a].groups[0]}/cmd/+`, S, own), "A reads its province group's commands");
  const foreign = halls[b].groups.find((g) => !halls[a].groups.includes(g))!;
  const far = `diemcau/v1/group/${foreign}/cmd/reboot`;
  t.notOk(await receives(A, `diemcau/v1/group/${foreign}/cmd/+`, S, far), 'A cannot read a group it is not in');
  // A retained config of B, published before A subscribes, is not handed to A either.
  await S.publishAsync(cfgB, '{"version":1}', { qos: 1, retain: true });
  let leaked = false;
  A.on('message', (topic) => (leaked ||= topic === cfgB));
  await A.subscribeAsync('diemcau/v1/+/config/desired', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(leaked, "B's retained config is not delivered to A");

  await S.subscribeAsync('diemcau/v1/#', { qos: 1 });
  t.ok(await delivered(A, S, `diemcau/v1/${a}/state`), 'A publishes its own state');
  t.notOk(await delivered(A, S, `diemcau/v1/${b}/state`), "A cannot publish B's state");
  t.notOk(await delivered(A, S, `diemcau/v1/${b}/presence`), "A cannot publish B's presence");
  t.notOk(await delivered(A, S, `diemcau/v1/${a}/config/desired`), 'A cannot write its own desired config');
  t.notOk(await delivered(A, S, `diemcau/v1/group/${halls[a].groups[0]}/cmd/reboot`), 'A cannot command its group');
  await B.subscribeAsync(`diemcau/v1/${b}/config/desired`, { qos: 1 });
  t.ok(await delivered(S, B, `diemcau/v1/${b}/config/desired`), "the service writes B's config and B reads it");
});

t.test('the claim credential asks for an identity and does nothing else', async (t) => {
  const c = await carrierWithBroker(2);
  t.teardown(() => c.cleanup());
  const ids = await c.store.identities();
  const carrier = await c.store.carrier();
  const [a] = Object.keys(ids).sort();
  const K = await login(c.broker.url, carrier.claim.username, carrier.claim.password, 'SN-0001');
  const S = await login(c.broker.url, carrier.service.username, carrier.service.password, 'svc');
  t.teardown(async () => {
    await Promise.all([K, S].map((x) => x.endAsync(true)));
  });
  t.ok(await receives(K, 'diemcau/v1/claim/SN-0001/res', S, 'diemcau/v1/claim/SN-0001/res'), 'reads its own claim answer');
  const reads: Array<[string, string]> = [
    ['diemcau/v1/claim/SN-0002/res', 'diemcau/v1/claim/SN-0002/res'],
    ['diemcau/v1/claim/+/res', 'diemcau/v1/claim/SN-0002/res'],
    ['#', 'diemcau/v1/claim/SN-0002/res'],
    ['diemcau/v1/#', `diemcau/v1/${a}/config/desired`],
    [`diemcau/v1/${a}/config/desired`, `diemcau/v1/${a}/config/desired`],
    [`diemcau/v1/${a}/cmd/+`, `diemcau/v1/${a}/cmd/reboot`],
    ['diemcau/v1/+/state', `diemcau/v1/${a}/state`],
    ['diemcau/v1/claim/config/desired', 'diemcau/v1/claim/config/desired'],
    ['diemcau/v1/claim/cmd/+', 'diemcau/v1/claim/cmd/reboot'],
    ['diemcau/v1/group/r-north/cmd/+', 'diemcau/v1/group/r-north/cmd/reboot'],
  ];
  for (const [filter, topic] of reads) t.notOk(await receives(K, filter, S, topic), `subscribed to ${filter}, does not get ${topic}`);
  await S.subscribeAsync('diemcau/v1/#', { qos: 1 });
  t.ok(await delivered(K, S, 'diemcau/v1/claim/SN-0001/req'), 'writes its own claim request');
  for (const topic of ['diemcau/v1/claim/SN-0002/req', 'diemcau/v1/claim/SN-0001/res', `diemcau/v1/${a}/state`, `diemcau/v1/${a}/presence`,
    `diemcau/v1/${a}/config/desired`, 'diemcau/v1/claim/state', 'diemcau/v1/claim/presence', 'diemcau/v1/group/r-north/cmd/reboot']) {
    t.notOk(await delivered(K, S, topic), `cannot publish to ${topic}`);
  }
  const other = await login(c.broker.url, a, ids[a].password, 'SN-0002');
  t.teardown(() => other.endAsync(true));
  t.notOk(
    await receives(other, 'diemcau/v1/claim/SN-0002/res', S, 'diemcau/v1/claim/SN-0002/res'),
    'a box cannot read claim answers by using a serial as its client id',
  );
});
