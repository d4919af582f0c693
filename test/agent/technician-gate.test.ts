// The technician page's guards, alone: the label password's limits per address (a stepped clock), sessions bound to
// their address and to idleness, the CSRF rule for posts, the peers the page answers (the hall LAN only, never the
// broker), and the panel's 5 s hold of mute + talk that opens the page without sending the hall's own inputs.
import t from 'tap';
import { Gate, sessionCookie, type Session } from '../../agent/technician/gate.js';
import { lanSide, peerRefusal } from '../../agent/technician/lan.js';
import { createPanelDevice, TECHNICIAN_HOLD_MS } from '../../agent/devices/panel.js';
import { SimLineOpener } from '../../drivers/gpio/sim-line.js';
import { FakeClock } from '../../lab/fake-clock.js';
import { createLogger, silentLogger } from '../../core/log.js';
import { withDefaults } from '../../core/schema/value.js';
import { PanelConfig } from '../../core/config/panel.js';
import { TechnicianConfig } from '../../core/config/technician.js';

const PASSWORD = 'label-Xq7-2931';

t.test('five tries per address, then a lock that doubles; another address is not affected', async (t) => {
  let now = 1_000_000;
  const lines: string[] = [];
  const gate = new Gate(() => PASSWORD, createLogger({}, 'debug', (l) => lines.push(l)), () => now);
  for (let i = 4; i >= 1; i--) t.same(gate.login('192.168.1.20', 'guess'), { ok: false, code: 'wrong', triesLeft: i });
  t.same(gate.login('192.168.1.20', 'guess'), { ok: false, code: 'locked', retryS: 30 }, 'the fifth wrong try locks the address for 30 s');
  t.same(gate.login('192.168.1.20', PASSWORD), { ok: false, code: 'locked', retryS: 30 }, 'even the right password waits out the lock');
  t.equal(gate.login('192.168.1.21', PASSWORD).ok, true, 'another phone on the LAN logs in meanwhile');
  now += 30_000;
  t.same(gate.login('192.168.1.20', 'guess'), { ok: false, code: 'locked', retryS: 60 }, 'after a lock, one wrong try locks again, twice as long');
  now += 60_000;
  t.same(gate.login('192.168.1.20', 'guess'), { ok: false, code: 'locked', retryS: 120 });
  for (let i = 0; i < 6; i++) {
    now += 1_000_000;
    gate.login('192.168.1.20', 'guess');
  }
  now += 1_000_000;
  t.same(gate.login('192.168.1.20', 'guess'), { ok: false, code: 'locked', retryS: 900 }, 'at most 15 min');
  now += 900_000;
  const ok = gate.login('192.168.1.20', PASSWORD);
  t.equal(ok.ok, true, 'the right password after the lock');
  t.same(gate.login('192.168.1.20', 'guess'), { ok: false, code: 'wrong', triesLeft: 4 }, 'and the count starts again');
  t.notOk(lines.some((l) => l.includes(PASSWORD) || l.includes('guess')), 'no password, right or wrong, in the log');
  t.ok(lines.some((l) => l.includes('address locked out') && l.includes('192.168.1.20')), 'the lock is logged with the address');
});

t.test('a session: its cookie, its address, 30 min idle, the CSRF token and JSON of the same origin for posts', async (t) => {
  let now = 0;
  const gate = new Gate(() => PASSWORD, silentLogger, () => now);
  const r = gate.login('10.0.0.5', PASSWORD);
  if (!r.ok) throw new Error('login');
  const s: Session = r.session;
  t.match(sessionCookie(s.id, 1800), /^diemcau_tech=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=1800$/);
  const cookie = { cookie: `other=1; diemcau_tech=${s.id}` };
  t.equal(gate.session(cookie, '10.0.0.5'), s, 'the cookie finds the session');
  t.equal(gate.session(cookie, '10.0.0.6'), null, 'not from another address');
  t.equal(gate.session({ cookie: 'diemcau_tech=forged' }, '10.0.0.5'), null, 'not with another id');
  const post = { host: '10.0.0.2:8080', 'content-type': 'application/json', 'x-csrf-token': s.csrf };
  t.equal(gate.postRefusal(s, post), null, 'a post of the page');
  t.match(gate.postRefusal(s, { ...post, 'x-csrf-token': undefined }), /no valid CSRF token/);
  t.match(gate.postRefusal(s, { ...post, 'x-csrf-token': s.csrf.replace(/.$/, s.csrf.endsWith('A') ? 'B' : 'A') }), /no valid CSRF token/);
  t.match(gate.postRefusal(s, { ...post, 'content-type': 'application/x-www-form-urlencoded' }), /JSON/, 'a form post of another site');
  t.match(gate.postRefusal(s, { ...post, origin: 'http://evil.example' }), /not http:\/\/evil.example/);
  t.equal(gate.postRefusal(s, { ...post, origin: 'http://10.0.0.2:8080' }), null);
  now += 29 * 60_000;
  t.equal(gate.session(cookie, '10.0.0.5'), s, 'used within 30 min: still there');
  now += 31 * 60_000;
  t.equal(gate.session(cookie, '10.0.0.5'), null, 'idle for 31 min: gone');
  const r2 = gate.login('10.0.0.5', PASSWORD);
  gate.clear();
  t.equal(r2.ok && gate.session({ cookie: `diemcau_tech=${r2.session.id}` }, '10.0.0.5'), null, 'the page closed: every session gone');
});

t.test('peers: the hall LAN only, never the broker; the LAN address from the interface', async (t) => {
  const ifaces = {
    eth0: [{ address: '192.168.1.50', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '192.168.1.50/24' }],
    wwan0: [{ address: '100.64.7.9', netmask: '255.192.0.0', family: 'IPv4', mac: '', internal: false, cidr: '100.64.7.9/10' }],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
  const cfg = withDefaults(TechnicianConfig, {}) as TechnicianConfig;
  const lan = lanSide(cfg, ifaces);
  t.match(lan, { interface: 'eth0', address: '192.168.1.50', cidr: '192.168.1.50/24' });
  t.equal(peerRefusal('192.168.1.23', lan, []), null, 'a phone on the hall LAN');
  t.equal(peerRefusal('::ffff:192.168.1.23', lan, []), null, 'the same, as a v4-mapped address');
  t.equal(peerRefusal('192.168.2.23', lan, []), 'not on the hall LAN (192.168.1.50/24)', 'a peer behind a router (the carrier, the internet)');
  t.equal(peerRefusal('100.64.7.1', lan, []), 'not on the hall LAN (192.168.1.50/24)', "the modem's side");
  t.equal(peerRefusal('192.168.1.10', lan, ['192.168.1.10']), "the broker's own address", 'a broker on the hall LAN');
  t.match(peerRefusal('fe80::1', lan, []), /not an IPv4 peer/);
  t.throws(() => lanSide({ ...cfg, interface: 'eth1' }, ifaces), { errors: ['technician.interface: eth1 has no IPv4 address on this box (interfaces: eth0, wwan0)'] });
  t.throws(() => lanSide({ ...cfg, address: '192.168.1.51' }, ifaces), { errors: ['technician.address: 192.168.1.51 is not an address of eth0 (192.168.1.50/24)'] });
});

t.test('the panel: mute then talk held 5 s is the technician input, and neither button does its own thing', async (t) => {
  const clock = new FakeClock();
  const opener = new SimLineOpener(1);
  const cfg = withDefaults(PanelConfig, { talkButton: 17, muteButton: 27, simulate: true, longPressMs: 1500 }) as PanelConfig;
  const dev = createPanelDevice(cfg, silentLogger, { opener, clock });
  await dev.start();
  t.teardown(() => dev.stop());
  const inputs: string[] = [];
  dev.on('input', (n: string) => inputs.push(n));
  const talk = opener.lines.get(17)!;
  const mute = opener.lines.get(27)!;
  mute.set(0);
  clock.advance(300);
  talk.set(0);
  clock.advance(TECHNICIAN_HOLD_MS - 10);
  t.same(inputs, [], 'not yet: no talk, and no audio-only at the long-press time');
  clock.advance(100);
  t.same(inputs, ['technician'], 'after 5 s of both');
  talk.set(1);
  clock.advance(100);
  mute.set(1);
  clock.advance(100);
  t.same(inputs, ['technician'], 'letting go sends no mute');
  mute.set(0);
  talk.set(0);
  clock.advance(3000);
  talk.set(1);
  mute.set(1);
  clock.advance(100);
  t.same(inputs, ['technician'], 'both for 3 s: nothing');
  mute.set(0);
  clock.advance(100);
  mute.set(1);
  clock.advance(100);
  t.same(inputs, ['technician', 'mute'], 'mute alone is mute again');
});
