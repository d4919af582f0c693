// `diemcau-provision import` through the real CLI: a bad row is refused with its line and reason and nothing is
// written; the same file twice changes nothing; a changed row is reported with the fields that changed.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCsv, CsvSyntaxError } from '../../provisioning/csv.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';
import { HALL_COLUMNS } from '../../provisioning/halls.js';
import { provisionCli } from '../../lab/provision-cli.js';

const CLI = resolve(import.meta.dirname, '../../provisioning/cli.js');

const cli = provisionCli;
// The scenarios are independent (each its own temp dir and database) and mostly wait on CLI processes: run at once.
t.jobs = 3;

async function digest(db: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of ['halls.json', 'identities.json', 'broker/passwd', 'broker/acl']) h.update(await readFile(join(db, f)));
  return h.digest('hex');
}

t.test('CSV parsing keeps line numbers across quoted line breaks', async (t) => {
  const recs = parseCsv('\ufeffa,b\r\n"x, ""y""","multi\nline"\n\nc,d\n');
  t.same(recs, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, "y"', 'multi\nline'] },
    { line: 5, fields: ['c', 'd'] },
  ]);
  t.throws(() => parseCsv('a,"b\nc'), /line 1: quoted field not closed/);
  const thrown = (() => {
    try {
      parseCsv('"open');
    } catch (e) {
      return e;
    }
  })();
  t.type(thrown, CsvSyntaxError);
  t.throws(() => parseCsv('a,b"c\n'), /line 1: a quote inside an unquoted field/);
});

t.test('import: validate whole, idempotent, changes reported, bad rows refused with line numbers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-import-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  const csv = join(dir, 'halls.csv');
  await writeFile(csv, syntheticCsv({ count: 50, broker: 'mqtts://mqtt.carrier.vn:8883', districtEvery: 5, serials: true }));

  const early = await cli(['import', csv, '--db', db]);
  t.equal(early.code, 2);
  t.match(early.err, /run `diemcau-provision init/, 'import before init says what to do');

  t.equal((await cli(['init', '--db', db, '--json'])).code, 0);
  const first = await cli(['import', csv, '--db', db, '--json']);
  t.equal(first.code, 0, first.err);
  const r1 = JSON.parse(first.out);
  t.equal(r1.added.length, 50);
  t.equal(r1.added[0], 'vn-00010', 'box ids come from commune codes');
  const halls = JSON.parse(await readFile(join(db, 'halls.json'), 'utf8'));
  t.same(halls['vn-00010'].groups, ['p-01', 'd-001', 'r-north'], 'province, district (kept) and region groups');
  t.same(halls['vn-00011'].groups, ['p-02', 'r-central'], 'no district group where the district is gone');
  t.equal(halls['vn-00010'].contact.name, 'Nguyễn Văn "0"', 'quoted fields with diacritics survive');
  const passwd = await readFile(join(db, 'broker/passwd'), 'utf8');
  t.equal(passwd.trim().split('\n').length, 52, 'one password line per box plus claim and service');
  t.match(passwd, /^vn-00010:\$7\$101\$/m);
  const acl = await readFile(join(db, 'broker/acl'), 'utf8');
  t.match(acl, /user vn-00010\ntopic read diemcau\/v1\/group\/p-01\/cmd\/#\ntopic read diemcau\/v1\/group\/d-001\/cmd\/#/);
  const before = await digest(db);

  const again = JSON.parse((await cli(['import', csv, '--db', db, '--json'])).out);
  t.same([again.added.length, again.changed.length, again.unchanged], [0, 0, 50], 'the same file again changes nothing');
  t.equal(await digest(db), before, 'not a byte of the database changed');

  // Two halls change: one's name, one moves to another region (a regroup, no re-provisioning).
  const lines = (await readFile(csv, 'utf8')).split('\r\n');
  lines[2] = lines[2].replace('Hội trường UBND xã 1', 'Hội trường mới');
  lines[3] = lines[3].replace(',south,', ',north,');
  await writeFile(csv, lines.join('\r\n'));
  const ch = JSON.parse((await cli(['import', csv, '--db', db, '--json'])).out);
  t.same(ch.changed, [{ boxId: 'vn-00011', fields: ['name'] }, { boxId: 'vn-00012', fields: ['groups', 'region'] }]);
  const ids = JSON.parse(await readFile(join(db, 'identities.json'), 'utf8'));
  t.equal(ids['vn-00012'].installCode, JSON.parse(await readFile(join(db, 'identities.json'), 'utf8'))['vn-00012'].installCode);
  t.match(await readFile(join(db, 'broker/acl'), 'utf8'), /user vn-00012\ntopic read diemcau\/v1\/group\/p-03\/cmd\/#\ntopic read diemcau\/v1\/group\/r-north/);
  const human = await cli(['import', csv, '--db', db]);
  t.match(human.out, /rows\s+added\s+changed\s+unchanged\s+kept/, 'a table for people');

  // A file with bad rows: every one reported with its line; nothing written.
  const good = await digest(db);
  const bad = [
    HALL_COLUMNS.join(','),
    '01,Hà Nội,,,00004,Phường Ba Đình,Hội trường,Chị Lan,+84 912345678,north,mqtt://b:1883,,',
    '01,Hà Nội,,,4,Phường X,Hội trường,Chị Lan,+84 912345678,north,mqtt://b:1883,,',
    '01,Hà Nội,,,00007,"Phường, có dấu phẩy",Hội trường,Chị Lan,not-a-phone,north,mqtt://b:1883,,',
    '01,Hà Nội,,,00004,Phường lặp,Hội trường,Chị Lan,+84 912345678,north,mqtt://b:1883,,',
    '01,Hà Nội,,,00008,Phường Y,Hội trường,Chị Lan,+84 912345678,north,http://b,,',
    '01,Hà Nội,,,00009,Phường Z,Hội trường,Chị Lan,+84 912345678,north',
  ].join('\n');
  await writeFile(join(dir, 'bad.csv'), bad + '\n');
  const refused = await cli(['import', join(dir, 'bad.csv'), '--db', db]);
  t.equal(refused.code, 2);
  t.match(refused.err, /5 bad row\(s\), nothing imported/);
  t.match(refused.err, /bad\.csv:3: commune_code: must be 5 digits/);
  t.match(refused.err, /bad\.csv:4: contact_phone: must be a phone number/);
  t.match(refused.err, /bad\.csv:5: commune_code 00004 already on line 2/);
  t.match(refused.err, /bad\.csv:6: broker: must be an mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\] URL \(got "http:\/\/b"\)/);
  t.match(refused.err, /bad\.csv:7: 10 fields, the header has 13/);
  t.equal(await digest(db), good, 'nothing written');
  await writeFile(join(dir, 'hdr.csv'), 'province_code,commune,hall_name\n');
  const hdr = await cli(['import', join(dir, 'hdr.csv'), '--db', db]);
  t.match(hdr.err, /hdr\.csv:1: unknown column "commune"/);
  t.match(hdr.err, /hdr\.csv:1: missing column "commune_code"/);

  const codes = JSON.parse((await cli(['codes', 'group:r-north', '--db', db, '--json'])).out);
  t.ok(codes.length > 10 && codes.every((c: { code: string }) => /^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(c.code)), 'install codes listed per group');
});

t.test('import says everything at once: duplicates with other errors, groups and regions as written, header apart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-import-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  t.equal((await cli(['init', '--db', db, '--json'])).code, 0);
  const rows = [
    HALL_COLUMNS.join(','),
    '01,Hà Nội,,,00004,Phường Ba Đình,Hội trường,Chị Lan,+84 912345678,north,mqtt://b:1883,SN0001,',
    // the same commune code and serial as line 2, and a bad phone: all three said
    '01,Hà Nội,,,00004,Phường lặp,Hội trường,Chị Lan,not-a-phone,north,mqtt://b:1883,SN0001,',
    '01,Hà Nội,,,00005,Phường Y,Hội trường,Chị Lan,+84 912345678,north,mqtt://b:1883,,ok;Bad Group;x y',
    '01,Hà Nội,,,00006,Phường Z,Hội trường,Chị Lan,+84 912345678,North,mqtt://b:1883,,',
  ];
  await writeFile(join(dir, 'rows.csv'), rows.join('\n') + '\n');
  const r = await cli(['import', join(dir, 'rows.csv'), '--db', db]);
  t.equal(r.code, 2);
  t.match(r.err, /rows\.csv: 3 bad row\(s\), nothing imported/);
  t.match(r.err, /rows\.csv:3: contact_phone: must be a phone number.*; commune_code 00004 already on line 2; serial SN0001 already on line 2/, 'a duplicate is said with the row\'s other error');
  t.match(r.err, /rows\.csv:4: groups: each group must be lower-case letters, digits, \. _ - \(separated by ;\) \(got "Bad Group", "x y"\)/, 'the groups that are wrong are named');
  t.match(r.err, /rows\.csv:5: bridge_region: must be a lower-case name \(letters, digits, - and _\) \(got "North"; write "north"\)/, 'North is refused, not quietly lower-cased');
  t.notMatch(r.err, /rows\.csv:5: groups/, 'the region\'s group is not reported twice');
  t.notOk(await readFile(join(db, 'halls.json')).then(() => true, () => false), 'nothing written');

  await writeFile(join(dir, 'hdr.csv'), 'province_code,commune,hall_name\n01,00004,H\n');
  const hdr = await cli(['import', join(dir, 'hdr.csv'), '--db', db]);
  t.equal(hdr.code, 2);
  t.match(hdr.err, /hdr\.csv: the header has \d+ error\(s\), nothing imported/, 'header errors are the header\'s');
  t.notMatch(hdr.err, /bad row/, 'not counted as bad rows');
});

t.test('a progress bar on a terminal (a real pty from script(1)), none in a pipe; --json stays clean', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-import-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'h.csv'), syntheticCsv({ count: 2000, broker: 'mqtt://b:1883' }));
  t.equal((await cli(['init', '--db', join(dir, 'db')])).code, 0);
  const cmd = `${process.execPath} ${CLI} import ${join(dir, 'h.csv')} --db ${join(dir, 'db')} --json > ${join(dir, 'out.json')}`;
  const tty = await new Promise<string>((res) => {
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', () => res(out));
  });
  t.match(tty, /import \[#{30}\] 2000\/2000/, 'the bar reaches the end on the terminal');
  t.equal(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')).added.length, 2000, 'stdout is only the JSON');
  await writeFile(join(dir, 'h.csv'), syntheticCsv({ count: 2000, broker: 'mqtt://c:1883' }));
  const piped = await cli(['import', join(dir, 'h.csv'), '--db', join(dir, 'db'), '--json']);
  t.equal(piped.err, '', 'no bar when stderr is not a terminal');
});

t.test('every verb has --help; unknown options and verbs are named', async (t) => {
  const verbs = ['init', 'import', 'codes', 'reset', 'broker-plugin', 'broker-conf', 'ca', 'serve', 'push', 'status', 'handover', 'keys', 'bundle', 'rollout'];
  const helps = await Promise.all(verbs.map((v) => cli([v, '--help'])));
  for (const [i, v] of verbs.entries()) {
    const r = helps[i];
    t.equal(r.code, 0, `${v} --help`);
    t.match(r.out, new RegExp(`^usage: diemcau-provision ${v}`), `${v} --help prints its usage`);
  }
  const main = await cli(['--help']);
  t.match(main.out, /verbs, in the order a carrier uses them/);
  t.match((await cli(['import', 'x.csv', '--bogus'])).err, /unknown option --bogus/);
  t.match((await cli(['frobnicate'])).err, /unknown verb "frobnicate"/);
});
