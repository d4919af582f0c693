// Fuzz of the carrier's hall file as `diemcau-provision import` reads it (provisioning/import.ts checkHalls: RFC 4180
// parse, header, each row to a Hall, duplicates). Mutations of valid files (lab/fuzz.ts): text flips, cuts and
// splices, and fields replaced by hostile ones (quotes, line breaks, prototype names, long and odd text, a header
// column renamed). Each case is a list of valid halls or an ImportError naming file, line and column; no TypeError,
// no prototype changes.
import t from 'tap';
import { checkHalls, ImportError } from '../../provisioning/import.js';
import { Hall } from '../../provisioning/halls.js';
import { syntheticCsv } from '../../provisioning/synthetic.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { fuzz, fuzzCases, fuzzSeed, PROTO_KEYS, type Mutator } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14008);
const CASES = fuzzCases(3000);

const samples = [
  syntheticCsv({ count: 3, broker: 'mqtts://mqtt.carrier.example:8883', serials: true }),
  syntheticCsv({ count: 5, broker: 'mqtt://10.0.0.5:1883', districtEvery: 2 }),
];
const HOSTILE = [...PROTO_KEYS, '"', '""', '"a,b"', '\r\n', '\n', ',', 'x'.repeat(70_000), '', ' ', '\u0000', '\ufeff', '=1+1', '01;02;__proto__', 'ộ\u0301', '\ud800'];

/** A sample with one field (header or row) replaced, as text, so quoting may be broken too. */
function withField(m: Mutator): string {
  const lines = m.pick(samples).split('\n');
  const row = m.int(0, lines.length - 1);
  const fields = lines[row].split(',');
  fields[m.int(0, fields.length - 1)] = m.pick(HOSTILE);
  lines[row] = fields.join(',');
  return lines.join(m.pick(['\n', '\r\n']));
}

t.test('a hall file', async (t) => {
  const r = await fuzz<string>(t, {
    name: 'halls CSV',
    seed: SEED,
    cases: CASES,
    make: (m) => (m.rand() < 0.5 ? withField(m) : m.text(m.rand() < 0.8 ? m.pick(samples) : withField(m), samples)),
    decode: (text) => {
      const halls = checkHalls('halls.csv', text);
      for (const h of halls) {
        const errs = schemaErrors(Hall, h);
        if (errs.length > 0) throw new Error(`accepted a hall the schema refuses: ${errs.join('; ')}`);
      }
      return halls;
    },
    refusal: (err) => err instanceof ImportError && /^halls\.csv: /.test(err.message),
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached (${r.accepted} accepted, ${r.refused} refused)`);
});
