// Differential test of our validator (core/schema/value.ts) against ajv, a complete JSON Schema 2020-12 validator:
// the config schemas and every command's argument schema, on thousands of documents made from them
// (lab/schema-documents.ts: valid ones drawn within bounds, broken ones that each break one thing), must get the
// same valid/invalid verdict from both. Also: ajv compiles every schema in strict mode (so it knows every keyword
// we write), and `diemcau config schema` prints a schema ajv compiles.
//
// Where ours and ajv differ on purpose, the comparison leaves it out by construction, not by skipping failures:
// - JSON text rules (core/schema/json-text.ts: depth bound, whole numbers exactly as written) act on text before
//   any validator sees a value; documents here are values, whose numbers are all exact doubles.
// - Default filling: ours fills `default`s in before validating (parseWith, the command router), ajv does not
//   unless asked. The verdict comparison runs both on the document as made, with no defaults filled. A second
//   comparison runs our parse pipeline (withDefaults, then errors) against ajv's `useDefaults` on the same
//   documents. The two fill differently only where no verdict can change: ajv also fills the default of an
//   optional field left out (ours leaves it out), which is harmless while every default is valid (checked below);
//   ours also fills inside a record's values (patternProperties), ajv does not, and no record in these schemas
//   holds objects; neither fills inside anyOf branches.
import t from 'tap';
import { readdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { TSchema } from '../../core/schema/type.js';
import { errors, withDefaults } from '../../core/schema/value.js';
import { Config, DesiredConfig } from '../../core/config/schema.js';
import type { CommandDef } from '../../core/commands/define.js';
import { DocumentMaker, seeded, type Doc } from '../../lab/schema-documents.js';
import { CLI } from '../../lab/agent-process.js';

/** Every command of the contract: each module under core/commands exports groups of CommandDefs. */
async function commandDefs(): Promise<CommandDef[]> {
  const dir = new URL('../../core/commands/', import.meta.url);
  const defs: CommandDef[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.js')).sort()) {
    const mod = (await import(new URL(file, dir).href)) as Record<string, unknown>;
    for (const group of Object.values(mod)) {
      if (typeof group !== 'object' || group === null) continue;
      for (const def of Object.values(group)) {
        if (def && typeof def === 'object' && typeof def.name === 'string' && typeof def.schema === 'object') defs.push(def as CommandDef);
      }
    }
  }
  return defs;
}

const commands = await commandDefs();
const schemas: Array<[string, TSchema]> = [
  ['Config', Config],
  ['DesiredConfig', DesiredConfig],
  ...commands.map((c): [string, TSchema] => [`cmd ${c.name}`, c.schema]),
];

/** Every subschema of `schema` with where it is, for the checks on defaults and examples. */
function* subschemas(schema: TSchema, at = '#'): Generator<[string, Record<string, unknown>]> {
  const s = schema as Record<string, unknown>;
  yield [at, s];
  for (const key of ['properties', 'patternProperties'] as const) {
    for (const [k, v] of Object.entries((s[key] ?? {}) as Record<string, TSchema>)) yield* subschemas(v, `${at}/${key}/${k}`);
  }
  if (s.items) yield* subschemas(s.items as TSchema, `${at}/items`);
  if (Array.isArray(s.anyOf)) for (const [i, b] of s.anyOf.entries()) yield* subschemas(b, `${at}/anyOf/${i}`);
}

/** A document short enough for a failure line; `how` says what was changed in it. */
function brief(doc: unknown): string {
  const text = JSON.stringify(doc);
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

/** Valid documents made per schema (each then broken every way): fewer for the two large config schemas. */
const COUNTS_PER_SCHEMA = { Config: 3, DesiredConfig: 3 } as Record<string, number>;

t.test('commands found', async (t) => {
  t.ok(commands.length >= 30, `${commands.length} commands: ${commands.map((c) => c.name).join(', ')}`);
  t.ok(commands.some((c) => c.name === 'camera.move') && commands.some((c) => c.name === 'join'));
});

t.test('ajv compiles every schema in strict mode', async (t) => {
  for (const [name, schema] of schemas) {
    t.doesNotThrow(() => new Ajv2020({ strict: true }).compile(schema), name);
  }
});

t.test('every default and example is valid for its own field', async (t) => {
  let n = 0;
  for (const [name, schema] of schemas) {
    for (const [at, s] of subschemas(schema)) {
      for (const v of [...(s.default === undefined ? [] : [s.default]), ...((s.examples as unknown[] | undefined) ?? [])]) {
        n++;
        t.same(errors(s, withDefaults(s, v)), [], `${name} ${at}: ${JSON.stringify(v)}`);
      }
    }
  }
  t.ok(n > 100, `${n} defaults and examples checked`);
});

t.test('ours and ajv give the same verdict on every document', async (t) => {
  const rand = seeded(11);
  const maker = new DocumentMaker(rand);
  const mismatches: string[] = [];
  let valid = 0;
  let invalid = 0;
  for (const [name, schema] of schemas) {
    const ajv = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
    // strictSchema off for this one only: in strict mode ajv refuses a `default` it would ignore (inside anyOf, as
    // in camera.move's speed); ours ignores those too (withDefaults does not choose a branch).
    const ajvFilling = new Ajv2020({ strict: true, strictSchema: false, useDefaults: true }).compile(schema);
    const docs: Doc[] = [];
    const made = Array.from({ length: COUNTS_PER_SCHEMA[name] ?? 6 }, () => maker.valid(schema));
    for (const [i, doc] of made.entries()) {
      const ours = errors(schema, doc);
      t.same(ours, [], `${name}: made document ${i} is valid for ours: ${brief(doc)}`);
      t.ok(ajv(doc), `${name}: made document ${i} is valid for ajv: ${JSON.stringify(ajv.errors)}`);
      docs.push({ doc, how: `made document ${i}` }, ...maker.broken(schema, doc));
    }
    for (const { doc, how } of docs) {
      const ours = errors(schema, doc);
      const theirs = ajv(doc);
      if ((ours.length === 0) !== theirs) {
        mismatches.push(`${name} ${how}: ours ${JSON.stringify(ours)}, ajv ${JSON.stringify(ajv.errors)}: ${brief(doc)}`);
      }
      if (theirs) valid++;
      else invalid++;
      // Our parse pipeline (defaults, then validation) against ajv's own default filling.
      const oursFilled = errors(schema, withDefaults(schema, doc)).length === 0;
      const theirsFilled = ajvFilling(structuredClone(doc));
      if (oursFilled !== theirsFilled) {
        mismatches.push(`${name} ${how}, defaults filled: ours ${oursFilled}, ajv ${JSON.stringify(ajvFilling.errors)}: ${brief(doc)}`);
      }
    }
  }
  t.same(mismatches.slice(0, 20), [], `${mismatches.length} of ${valid + invalid} documents judged differently`);
  t.ok(valid >= 200 && invalid >= 2000, `${valid} valid and ${invalid} invalid documents compared`);
});

t.test('`diemcau config schema` prints a schema ajv compiles and validates the example config with', async (t) => {
  const run = (args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args]);
  const schema = JSON.parse((await run(['config', 'schema'])).stdout);
  const example = JSON.parse((await run(['config', 'example'])).stdout);
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  t.ok(validate(example), JSON.stringify(validate.errors));
  t.notOk(validate({ ...example, box: { id: 'Not An Id' } }), 'and refuses a bad box id');
});
