// `diemcau-provision` as a new technician met it (issue 13, items 4, 5, 7, 10, 11), through the real CLI: the broker
// comes from the database and a failure says how to name another; URLs are checked strictly; exit codes as
// documented, with one line naming the thing at fault and, under --json, one JSON document on stdout; machine
// values in `codes --json`; `--version`; a pushed file's every error at once; broker-conf's options described and
// checked; a mistyped verb answered with the closest one.
import t, { type Test } from 'tap';
import { mkdtemp, writeFile, readFile, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carrierWithBroker } from '../../lab/provision-fixture.js';
import { provisionCli } from '../../lab/provision-cli.js';
import { freeTcpPort } from '../../lab/ports.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';
import { Store } from '../../provisioning/store.js';
import { mapLimit } from '../../core/map-limit.js';

// Each subtest has a database (and a broker) of its own, and the CLI runs within one are independent: both go
// side by side, a few node processes at a time.
t.jobs = 2;
const AT_ONCE = 4;

// The broker must come from the command line or the database, not from the shell that runs the tests.
const NO_ENV = { DIEMCAU_BROKER: undefined, DIEMCAU_DB: undefined };
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => provisionCli(args, { ...NO_ENV, ...env });
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/** A database of `count` halls whose CSV names `broker`, made by the real CLI. */
async function database(t: Test, count: number, broker: string, serials = false): Promise<{ dir: string; db: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  await writeFile(join(dir, 'halls.csv'), syntheticCsv({ count, broker, serials }));
  t.equal((await cli(['init', '--db', db, '--json'])).code, 0);
  const imp = await cli(['import', join(dir, 'halls.csv'), '--db', db, '--json']);
  t.equal(imp.code, 0, imp.err);
  return { dir, db };
}

t.test('the broker comes from the database, said on stderr; a failure names it and hints --url', async (t) => {
  const c = await carrierWithBroker(2);
  t.teardown(() => c.cleanup());
  const port = await freeTcpPort(); // nothing listens there (asked once the broker has its port)
  const [st, { db }] = await Promise.all([cli(['status', '--db', c.store.dir, '--json']), database(t, 2, `mqtt://127.0.0.1:${port}`)]);
  t.equal(st.code, 0, `status without --url: ${st.err}`);
  t.equal(JSON.parse(st.out).boxes.length, 2, 'stdout is the JSON document');
  t.match(st.err, `broker ${c.broker.url} (from the database: 2 of 2 hall(s) use it; --url to choose another)`, 'says which broker');

  const [down, asJson] = await Promise.all([cli(['status', '--db', db]), cli(['status', '--db', db, '--json'])]);
  t.equal(down.code, 3, 'exit 3: the broker could not be reached');
  const failure = lines(down.err).filter((l) => l.includes('cannot log in'));
  t.equal(failure.length, 1, `one line: ${down.err}`);
  t.match(failure[0], `cannot log in to the broker mqtt://127.0.0.1:${port} (from the database`);
  t.match(failure[0], /ECONNREFUSED.*give the broker with --url URL/);
  t.match(JSON.parse(asJson.out), { error: { code: 'disconnected', message: /--url URL/ } }, '--json: the error as JSON on stdout');
});

t.test('broker URLs are checked strictly, in one line naming the part at fault', async (t) => {
  const c = await carrierWithBroker(1);
  t.teardown(() => c.cleanup());
  const db = c.store.dir;
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['status', '--url', `${c.broker.url}x`], {}, new RegExp(`--url ${c.broker.url}x has the port "${c.broker.port}x", which is not a number`)],
    [['status', '--url', `http://127.0.0.1:${c.broker.port}`], {}, /--url http:\/\/127\.0\.0\.1:\d+ has the scheme http:\/\/: give mqtt:\/\/ or mqtts:\/\//],
    [['push', 'all', '--url', 'mqtt://127.0.0.1:70000', join(c.dir, 'x.json')], {}, /port 70000, which is not from 1 to 65535/],
    [['status'], { DIEMCAU_BROKER: 'mqtt://127.0.0.1:0' }, /\$DIEMCAU_BROKER mqtt:\/\/127\.0\.0\.1:0 has the port 0/],
    [['handover', 'all', '--to', 'mqtt://new:1883x', '--url', c.broker.url], {}, /--to mqtt:\/\/new:1883x has the port "1883x"/],
  ];
  await writeFile(join(c.dir, 'x.json'), '{"telemetry":{"intervalS":30}}');
  const runs = await mapLimit(cases, AT_ONCE, ([args, env]) => cli([...args, '--db', db], env));
  for (const [i, [args, , why]] of cases.entries()) {
    const r = runs[i];
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.equal(lines(r.err).length, 1, `${args.join(' ')}: one line`);
    t.match(r.err, why);
  }
  t.notOk(await access(join(db, 'desired.json')).then(() => true, () => false), 'nothing was pushed');
  // The CSV's broker column follows the same rule.
  await writeFile(join(c.dir, 'bad.csv'), syntheticCsv({ count: 1, broker: 'mqtt://127.0.0.1:18830x' }));
  const imp = await cli(['import', join(c.dir, 'bad.csv'), '--db', db]);
  t.equal(imp.code, 2);
  t.match(imp.err, /bad\.csv:2: broker: must be an mqtt:\/\/host\[:port\] .* \(got "mqtt:\/\/127\.0\.0\.1:18830x"\)/);
  // A database imported before the rule: its broker is checked before anyone connects to it.
  const halls = await c.store.halls();
  for (const h of Object.values(halls)) h.broker = `${c.broker.url}x`;
  await c.store.write('halls', halls);
  const old = await cli(['status', '--db', db]);
  t.equal(old.code, 2);
  t.match(old.err, `the halls' broker ${c.broker.url}x (from the database) has the port "${c.broker.port}x", which is not a number: give the broker with --url URL`);
});

t.test('exit 2 for bad input, one line naming the file; --json errors on stdout; --version', async (t) => {
  const { dir, db } = await database(t, 3, 'mqtt://127.0.0.1:1', true);
  const missing = join(dir, 'missing.json');
  const telemetry = join(dir, 'telemetry.json');
  await writeFile(telemetry, '{"telemetry": {"intervalS": 30}}');
  const cases: Array<[string[], string]> = [
    [['push', 'all', missing], `${missing}: no such file (ENOENT)`],
    [['push', 'all', telemetry, '--nodes', 'mqtt://127.0.0.1:1,http://n2'], '--nodes http://n2 has the scheme http://: give mqtt:// or mqtts://'],
    [['import', join(dir, 'missing.csv')], `${join(dir, 'missing.csv')}: no such file (ENOENT)`],
    [['status', '--cafile', join(dir, 'ca.pem'), '--url', 'mqtt://127.0.0.1:1'], `--cafile ${join(dir, 'ca.pem')}: no such file (ENOENT)`],
    [['bundle', join(dir, 'tree'), '--version', '1.0.0', '--out', join(dir, 'b')], `${join(dir, 'tree')}: no such directory (ENOENT)`],
    [['rollout', join(dir, 'x.bundle'), '--bundle-url', 'http://h/x'], `${join(dir, 'x.bundle')}: no such file (ENOENT)`],
  ];
  const runs = await mapLimit(cases, AT_ONCE, ([args]) => Promise.all([cli([...args, '--db', db]), cli([...args, '--db', db, '--json'])]));
  for (const [i, [args, message]] of cases.entries()) {
    const [r, j] = runs[i];
    t.equal(r.code, 2, `${args[0]}: exit 2 (${r.err.trim()})`);
    t.same(lines(r.err), [`diemcau-provision ${args[0]}: ${message}`], `${args[0]}: one line naming the file`);
    t.equal(j.code, 2);
    t.same(JSON.parse(j.out), { error: { code: 'bad_request', message } }, `${args[0]} --json: the error is the JSON document`);
    t.same(lines(j.err), [`diemcau-provision ${args[0]}: ${message}`], `${args[0]} --json: and the line on stderr`);
  }
  const unknown = [['import', 'x.csv', '--bogus', '--json'], ['frobnicate', '--json']];
  const [v, ...unknownRuns] = await Promise.all([cli(['--version']), ...unknown.map((args) => cli(args))]);
  for (const [i, args] of unknown.entries()) {
    const r = unknownRuns[i];
    t.equal(r.code, 2);
    t.match(JSON.parse(r.out), { error: { code: 'bad_request', message: /unknown (option --bogus|verb "frobnicate")/ } }, `${args[0]}: JSON error`);
  }

  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
  t.equal(v.code, 0, '--version is known');
  t.equal(v.out.trim(), `diemcau-provision ${pkg.version}`);

  // codes --json: machine values. A claim made and confirmed, one issued and not yet online, one not claimed.
  const s = new Store(db);
  await s.write('claims', {
    'vn-00010': { serial: 'SN00010', issuedAt: '2025-01-01T00:00:00Z', confirmedAt: '2025-01-01T00:01:00Z', kind: 'password' },
    'vn-00011': { serial: 'SN00011', issuedAt: '2025-01-01T00:00:00Z', kind: 'password' },
  });
  const [codesRun, codesTable] = await Promise.all([cli(['codes', '--db', db, '--json']), cli(['codes', '--db', db])]);
  const codes = JSON.parse(codesRun.out);
  t.match(codes, [
    { box: 'vn-00010', serial: 'SN00010', issuedTo: 'SN00010', claimed: true },
    { box: 'vn-00011', serial: 'SN00011', issuedTo: 'SN00011', claimed: false },
    { box: 'vn-00012', serial: 'SN00012', issuedTo: null, claimed: false },
  ]);
  t.ok(codes.every((c: Record<string, unknown>) => typeof c.claimed === 'boolean'), 'claimed is a boolean');
  t.match(codesTable.out, /vn-00010 .* yes \(SN00010\)/, 'the table for people keeps the sentence');
});

t.test('push lists every error of a file at once, and records nothing', async (t) => {
  const { dir, db } = await database(t, 2, 'mqtt://127.0.0.1:1');
  const cases: Array<[object, RegExp[]]> = [
    [{ telemetry: { intervalS: 0 }, colour: 'red' }, [/colour: not a section a carrier may set/, /telemetry\.intervalS: must be ≥ 1 \(got 0\)/]],
    [{ hall: { groups: ['x'] }, media: { bogus: 1 } }, [/hall\.groups: groups come from the halls CSV/, /media\.bogus/]],
  ];
  const runs = await mapLimit(cases, AT_ONCE, async ([doc], i) => {
    await writeFile(join(dir, `f${i}.json`), JSON.stringify(doc));
    return cli(['push', 'all', join(dir, `f${i}.json`), '--db', db]);
  });
  for (const [i, [doc, whys]] of cases.entries()) {
    const r = runs[i];
    t.equal(r.code, 2, JSON.stringify(doc));
    t.match(r.err, /refused, 2 error\(s\)/);
    for (const why of whys) t.match(r.err, why, `${JSON.stringify(doc)}: ${why}`);
  }
  t.notOk(await access(join(db, 'desired.json')).then(() => true, () => false), 'nothing recorded');
});

t.test('broker-conf: --help describes --port, --tls-port and --bind; each is checked', async (t) => {
  const [help, { db }] = await Promise.all([cli(['broker-conf', '--help']).then((r) => r.out), database(t, 1, 'mqtt://b:1883')]);
  for (const o of ['--port N', '--tls-port N', '--bind ADDR', '--plugin PATH']) t.match(help, `\n  ${o}`, `--help describes ${o}`);
  const base = ['broker-conf', '--db', db, '--plugin', '/usr/lib/diemcau_clientid.so'];
  const bad: Array<[string[], RegExp]> = [
    [['--bind', '10.0.0.5 extra'], /--bind: 10\.0\.0\.5 extra is not an address/],
    [['--port', '70000'], /--port: 70000 is not a port \(1 to 65535\)/],
    [['--tls-port', '8883.5'], /--tls-port: 8883\.5 is not a port/],
  ];
  const [ok, ...runs] = await mapLimit([['--bind', '10.0.0.5', '--port', '18831'], ...bad.map(([args]) => args)], AT_ONCE, (args) => cli([...base, ...args]));
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /^listener 18831 10\.0\.0\.5$/m, 'listens on the given address only');
  for (const [i, [args, why]] of bad.entries()) {
    const r = runs[i];
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, why);
  }
});

t.test('a mistyped verb gets the closest one', async (t) => {
  const typos = [['stauts', 'status'], ['improt', 'import'], ['brokerconf', 'broker-conf'], ['rolout', 'rollout'], ['psuh', 'push']];
  const [runs, far] = await Promise.all([mapLimit(typos, AT_ONCE, ([typed]) => cli([typed])), cli(['frobnicate'])]);
  for (const [i, [typed, meant]] of typos.entries()) {
    const r = runs[i];
    t.equal(r.code, 2);
    t.match(r.err, `unknown verb "${typed}" (did you mean "${meant}"?`, typed);
  }
  t.notMatch(far.err, /did you mean/, 'no guess when nothing is close');
});
