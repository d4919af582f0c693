// Fuzz of the config as it comes from outside: the config file (core/schema/parse.ts: JSON read as written, then the
// one schema) and the carrier's desired config (agent/config/load.ts: readDesired, parseDesired, mergeDesired, what
// the agent does with a config/desired payload). Mutations of valid documents (lab/fuzz.ts); each case is a valid
// config that validates again, or a ConfigError / BadRequestError naming the fault; no prototype changes.
import t from 'tap';
import { Config, DesiredConfig } from '../../core/config/schema.js';
import { parseJson, parseWith, schemaErrors } from '../../core/schema/parse.js';
import { DiemcauError } from '../../core/errors.js';
import { mergeDesired, parseDesired, readDesired } from '../../agent/config/load.js';
import { exampleConfig } from '../../agent/config/example.js';
import { DocumentMaker, seeded } from '../../lab/schema-documents.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14002);
const CASES = fuzzCases(3000);
const maker = new DocumentMaker(seeded(SEED));
const refusal = (err: unknown) => err instanceof DiemcauError && (err.code === 'config_invalid' || err.code === 'bad_request');

/** A value the decoder accepted must be one the schema accepts (a decoder that lets a bad one through fails). */
function checked(schema: typeof Config | typeof DesiredConfig, v: unknown): unknown {
  const errs = schemaErrors(schema, v);
  if (errs.length > 0) throw new Error(`accepted a document the schema refuses: ${errs.join('; ')}`);
  return v;
}

t.test('the config file', async (t) => {
  const samples = [exampleConfig(), ...Array.from({ length: 8 }, () => maker.valid(Config))];
  const r = await fuzz<string>(t, {
    name: 'config file',
    seed: SEED,
    cases: CASES,
    make: (m) => m.json(samples),
    decode: (text) => checked(Config, parseWith(Config, parseJson(text, 'config.json'), 'config.json')),
    refusal,
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached (${r.accepted} accepted, ${r.refused} refused)`);
});

t.test('a config/desired payload, merged onto a running config', async (t) => {
  const current = exampleConfig();
  const samples = [{ version: 3, hall: current.hall }, ...Array.from({ length: 8 }, () => maker.valid(DesiredConfig))];
  const r = await fuzz<string>(t, {
    name: 'config/desired',
    seed: SEED + 1,
    cases: CASES,
    make: (m) => m.json(samples),
    decode: (text) => {
      const source = 'diemcau/v1/vn-1/config/desired';
      const desired = parseDesired(readDesired(Buffer.from(text), source), source);
      checked(DesiredConfig, desired);
      return checked(Config, mergeDesired(current, desired));
    },
    refusal,
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached (${r.accepted} accepted, ${r.refused} refused)`);
});
