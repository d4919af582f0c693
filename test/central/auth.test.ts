// Operators and their sessions against the real server: accounts made with the CLI (bad input named), login with a
// scrypt hash, the session cookie (HttpOnly, SameSite=Strict), the CSRF header bound to the session, viewers read
// only, login throttling, logout and password changes ending sessions, the live feed refusing strangers, every
// refusal audited; and the page's placeholder while the page is not built.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startBroker } from '../../lab/mosquitto.js';
import { addOperator, centralCli, ConsoleClient, startCentral, writeCentralConfig } from '../../lab/central.js';
import { PASSWORD } from './world.js';

const dir = await mkdtemp(join(tmpdir(), 'diemcau-central-auth-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const broker = await startBroker();
t.teardown(() => broker.cleanup());
const configPath = await writeCentralConfig(dir, { carriers: [{ name: 'viettel', url: broker.url }] });

t.test('the CLI refuses bad input with a line naming the thing at fault (exit 2)', async (t) => {
  const cases: Array<[string[], string, RegExp]> = [
    [['user', 'add', 'x', '--role', 'king', '--config', configPath], PASSWORD, /role: must be one of national, provincial, viewer \(got "king"\)/],
    [['user', 'add', 'p', '--role', 'provincial', '--config', configPath], PASSWORD, /groups: a provincial operator needs at least one group/],
    [['user', 'add', 'Bad Name', '--role', 'viewer', '--config', configPath], PASSWORD, /username: "Bad Name" must be/],
    [['user', 'add', 'short', '--role', 'viewer', '--config', configPath], 'abc', /password: must be at least 8 characters/],
    [['user', 'add', 'x', '--role', 'national', '--groups', 'p-01', '--config', configPath], PASSWORD, /groups: a national operator sees every hall/],
    [['user', 'add', 'x', '--role', 'national', '--bogus', '--config', configPath], PASSWORD, /unknown option --bogus/],
  ];
  for (const [args, stdin, want] of cases) {
    const r = await centralCli(args, stdin);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, want);
  }
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ listen: { port: 'eighty' }, carriers: [{ name: 'viettel', url: 'http://x' }], colour: 1 }));
  const r = await centralCli(['serve', '--config', bad]);
  t.equal(r.code, 2);
  t.match(r.stderr, /listen.port: must be a whole number \(got "eighty"\)/);
  t.match(r.stderr, /carriers\[0\].url: "http:\/\/x" does not match/);
  t.match(r.stderr, /colour: unknown field/);
});

await addOperator(configPath, 'nat', 'national', PASSWORD);
await addOperator(configPath, 'watch', 'viewer', PASSWORD);
const server = await startCentral(configPath);
t.teardown(() => server.stop());
const url = server.url;

t.test('operators are listed, passwords stored as scrypt hashes', async (t) => {
  const r = await centralCli(['user', 'list', '--json', '--config', configPath]);
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout).map((o: any) => [o.username, o.role]), [['nat', 'national'], ['watch', 'viewer']]);
  t.notOk(r.stdout.includes('scrypt'), 'no hash in the listing');
  const dup = await centralCli(['user', 'add', 'nat', '--role', 'national', '--config', configPath], PASSWORD);
  t.match(dup.stderr, /"nat" already exists/);
});

t.test('login: a session cookie that scripts cannot read and other sites cannot send, and a CSRF token', async (t) => {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nat', password: PASSWORD }) });
  t.equal(res.status, 200);
  const body = await res.json();
  t.match(body, { operator: { username: 'nat', role: 'national', groups: [] }, csrf: String });
  const cookie = res.headers.get('set-cookie')!;
  t.match(cookie, /^dc_session=[A-Za-z0-9_-]{40,};/);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Strict/);
  t.notMatch(cookie, /Secure/, 'plain HTTP: not Secure (the browser would drop it)');
  const behindTls = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
    body: JSON.stringify({ username: 'nat', password: PASSWORD }),
  });
  t.match(behindTls.headers.get('set-cookie'), /; Secure/, 'behind a TLS proxy: Secure');
  const wrong = new ConsoleClient(url);
  const w1 = await wrong.post('/api/login', { username: 'nat', password: 'not the password' });
  const w2 = await wrong.post('/api/login', { username: 'nobody', password: 'not the password' });
  t.equal(w1.status, 401);
  t.same(w1.body, w2.body, 'the same answer whether the name exists or not');
  t.equal((await new ConsoleClient(url).get('/api/me')).status, 401, 'no session: 401');
});

t.test('every non-GET request needs the session\'s own CSRF token', async (t) => {
  const a = await ConsoleClient.login(url, 'nat', PASSWORD);
  const b = await ConsoleClient.login(url, 'nat', PASSWORD);
  const meeting = { title: 'x', bridge: 'http://127.0.0.1:9/janus', room: 1 };
  const none = await a.post('/api/meetings', meeting, { csrf: null });
  t.equal(none.status, 403);
  t.match(none.body.error.message, /X-CSRF-Token/);
  t.equal((await a.post('/api/meetings', meeting, { csrf: b.csrf })).status, 403, "another session's token is refused");
  t.equal((await a.post('/api/meetings', meeting)).status, 200, 'the right token passes');
  t.equal((await a.get('/api/meetings')).status, 200, 'GET needs none');
  const audit = (await a.get('/api/audit?limit=20')).body;
  t.ok(audit.filter((x: any) => x.action === 'meeting.create' && x.outcome === 'refused' && /CSRF/.test(x.detail)).length >= 2, 'refusals audited');
});

t.test('a viewer reads and may not act', async (t) => {
  const v = await ConsoleClient.login(url, 'watch', PASSWORD);
  t.equal((await v.get('/api/halls')).status, 200);
  const r = await v.post('/api/meetings', { title: 'x', bridge: 'http://127.0.0.1:9/janus', room: 1 });
  t.equal(r.status, 403);
  t.match(r.body.error.message, /watch is a viewer/);
  const nat = await ConsoleClient.login(url, 'nat', PASSWORD);
  const audit = (await nat.get('/api/audit?limit=50')).body;
  t.ok(audit.find((x: any) => x.operator === 'watch' && x.action === 'meeting.create' && x.outcome === 'refused'), 'audited');
  t.equal((await v.post('/api/logout')).status, 200, 'but may log out');
});

t.test('failed logins are throttled per username and address', async (t) => {
  const c = new ConsoleClient(url);
  for (let i = 0; i < 5; i++) t.equal((await c.post('/api/login', { username: 'watch', password: `guess ${i} wrong` })).status, 401);
  const r = await c.post('/api/login', { username: 'watch', password: PASSWORD });
  t.equal(r.status, 429, 'even the right password waits');
  t.ok(Number(r.headers.get('retry-after')) > 0);
  t.equal((await c.post('/api/login', { username: 'nat', password: PASSWORD })).status, 200, 'another username from the same address still logs in');
  const nat = await ConsoleClient.login(url, 'nat', PASSWORD);
  const audit = (await nat.get('/api/audit?limit=50')).body;
  t.ok(audit.find((x: any) => x.action === 'login' && x.operator === 'watch' && x.outcome === 'refused' && /too many failed logins/.test(x.detail)));
  t.equal(audit.filter((x: any) => x.action === 'login' && x.operator === 'watch' && x.outcome === 'failed').length >= 5, true);
});

t.test('logout and a password change end sessions', async (t) => {
  const a = await ConsoleClient.login(url, 'nat', PASSWORD);
  const cookie = a.cookie;
  t.equal((await a.post('/api/logout')).status, 200);
  const stale = new ConsoleClient(url);
  stale.cookie = cookie;
  t.equal((await stale.get('/api/me')).status, 401, 'the old cookie opens nothing');
  const b = await ConsoleClient.login(url, 'nat', PASSWORD);
  const r = await centralCli(['user', 'passwd', 'nat', '--config', configPath], 'a brand new password\n');
  t.equal(r.code, 0, r.stderr);
  t.equal((await b.get('/api/me')).status, 401, 'sessions end with the password change');
  t.equal((await new ConsoleClient(url).post('/api/login', { username: 'nat', password: 'a brand new password' })).status, 200);
});

t.test('the live feed opens for a session only, from our own origin', async (t) => {
  const open = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url.replace('http', 'ws') + '/api/live', { headers });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
  t.equal(await open({}), 401);
  const c = await ConsoleClient.login(url, 'nat', 'a brand new password');
  t.equal(await open({ cookie: c.cookie!, origin: 'http://evil.example' }), 403);
  t.equal(await open({ cookie: c.cookie!, origin: url }), 101);
  const live = await c.live();
  const snap = await live.until(() => live.frames[0], 'snapshot');
  t.match(snap.msg, { t: 'snapshot', seq: 1, halls: [], groups: [], floor: { queue: [] }, incidents: [], carriers: [{ name: 'viettel', connected: true }] });
  await live.close();
});

t.test('the page is served from dist/central/web, or a placeholder says it is not built', async (t) => {
  const r = await fetch(`${url}/`);
  t.equal(r.status, 200);
  t.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  const text = await r.text();
  t.ok(text.includes('<html') && (text.includes('not built') || !text.includes('placeholder')), 'a page or the placeholder');
  t.equal((await fetch(`${url}/api/nothing`)).status, 404);
  t.equal((await fetch(`${url}/api/halls`, { method: 'DELETE' })).status, 405);
  const traversal = await new Promise<number>((resolve) => {
    request(`${url}/..%2f..%2fpackage.json`, (res) => resolve(res.statusCode ?? 0)).end();
  });
  t.equal(traversal, 404, 'nothing outside the page folder');
});
