// Fuzz of the technician page's POST bodies (agent/technician/server.ts), as anyone on the hall LAN can send them:
// the login, and with a session the relay, claim and done actions, each body a mutation of a valid one
// (lab/fuzz.ts), over real HTTP to the real PageServer and Gate. Every case is answered with a status the page
// documents and a JSON error naming the fault, never 500; what reaches the page's actions has the types they take;
// no prototype changes. The actions only check and record what they are given: the decoder is under test here.
import t from 'tap';
import { PageServer, type PageApi } from '../../agent/technician/server.js';
import { Gate } from '../../agent/technician/gate.js';
import { silentLogger } from '../../core/log.js';
import { pageLogin, pageRequest } from '../../lab/technician-page.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14014);
const CASES = fuzzCases(1500);
const PASSWORD = 'nhan-7Q4-dan';

const wrongType = (what: string) => new Error(`the page passed ${what} to its action`);
const api: PageApi = {
  status: async () => ({}),
  level: () => ({}),
  camera: async () => ({ jpeg: '' }),
  tv: async () => ({ jpeg: '' }),
  selftest: async () => ({}),
  ledTest: async () => ({}),
  displayInput: async () => ({}),
  async relay(name, on) {
    if (typeof name !== 'string' || name.length > 64 || typeof on !== 'boolean') throw wrongType(`relay(${typeof name}, ${typeof on})`);
    return { relays: { [name]: on } };
  },
  async claim(code) {
    if (typeof code !== 'string' || code.length > 16) throw wrongType(`claim(${typeof code})`);
    return { claimed: false };
  },
  async done(name, notes) {
    if (typeof name !== 'string' || name.length > 100 || (notes !== undefined && (typeof notes !== 'string' || notes.length > 1000))) throw wrongType('done(…)');
    return { sent: true };
  },
};
const lan = { interface: 'lo', address: '127.0.0.1', network: 0x7f000000, mask: 0xff000000, cidr: '127.0.0.0/8' };
const server = new PageServer(api, new Gate(() => PASSWORD, silentLogger), lan, 0, () => [], silentLogger);
await server.listen();
t.teardown(() => server.close());
const base = server.url;

const routes = [
  { path: '/api/relay', samples: [{ name: 'amplifier', on: true }, { name: 'display', on: false }] },
  { path: '/api/claim', samples: [{ code: '7KQ2-M9XD' }] },
  { path: '/api/done', samples: [{ name: 'Nguyễn Văn An', notes: 'Camera lắp lại, loa ổn.' }, { name: 'Trần Thị Bình' }] },
  { path: '/api/login', samples: [{ password: PASSWORD }, { password: 'sai-mat-khau' }] },
];
const ANSWERED = [200, 400, 401, 404, 409, 413, 415, 429];

t.test('POST bodies, logged in and not', async (t) => {
  const s = await pageLogin(base, PASSWORD, '127.0.0.2');
  const statuses = new Map<number, number>();
  let n = 0;
  await fuzz<{ path: string; raw: string }>(t, {
    name: 'technician page posts',
    seed: SEED,
    cases: CASES,
    make: (m, i) => {
      const r = routes[i % routes.length];
      return { path: r.path, raw: m.json(r.samples) };
    },
    decode: async (c) => {
      // Logins come from addresses of their own, so the lock-out (five tries per address) is one outcome, not all.
      const from = c.path === '/api/login' ? `127.0.${(n >> 8) & 255}.${(n++ & 255) || 1}` : '127.0.0.2';
      const r = await pageRequest(base, c.path, { raw: c.raw, cookie: s.cookie, csrf: s.csrf, from });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (!ANSWERED.includes(r.status)) throw new Error(`answered ${r.status}: ${r.body.toString().slice(0, 300)}`);
      if (r.status !== 200 && typeof r.json?.error?.message !== 'string') throw new Error(`a ${r.status} without an error message`);
      return r.status;
    },
    refusal: () => false,
    show: (c) => `${c.path} ${JSON.stringify(c.raw.slice(0, 300))}`,
  });
  t.ok(statuses.get(200)! > 0 && statuses.get(400)! > 0, `answers: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k} ×${v}`).join(', ')}`);
});
