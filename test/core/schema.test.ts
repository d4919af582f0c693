// The validator's rules that issue 11 asked for: a union that fails answers with the field and the reason of its
// closest branch (a discriminator when the branches have one, else the branch whose keys the document uses), and a
// schema with a keyword the validator does not know is refused when it is built or first used, naming the keyword
// and where it is, instead of the keyword being ignored.
import t from 'tap';
import { Type, type TSchema } from '../../core/schema/type.js';
import { errors, withDefaults, check } from '../../core/schema/value.js';
import { ClaimAnswer } from '../../core/claim.js';
import { command, defineCommand } from '../../core/commands/define.js';

t.test('a discriminator field picks the branch', async (t) => {
  const granted = { ok: true, boxId: 'vn-1', brokers: ['mqtt://b:1883'], hall: { name: 'H', groups: [] } };
  t.same(errors(ClaimAnswer, granted), []);
  t.same(errors(ClaimAnswer, { ...granted, brokers: [] }), ['brokers: needs at least 1 item(s)']);
  t.same(errors(ClaimAnswer, { ok: false, error: { code: 'x' } }), ['error.message: is required']);
  t.same(errors(ClaimAnswer, { ok: false, boxId: 'vn-1', error: { code: 'x', message: 'y' } }), [], 'ClaimRefused allows more keys');
  t.same(errors(ClaimAnswer, { ok: 'yes' }), ['ok: must be one of true, false (got "yes")']);
  t.same(errors(ClaimAnswer, { boxId: 'vn-1' }), ['ok: is required (one of true, false)']);
  t.same(errors(ClaimAnswer, 'no'), ['(root): must be an object (got "no")']);
});

t.test('without a discriminator: the branch whose keys the document uses, then the one with fewer errors', async (t) => {
  const S = Type.Object({
    at: Type.Union([
      Type.Object({ x: Type.Integer({ maximum: 9 }), y: Type.Integer() }, { additionalProperties: false }),
      Type.Object({ name: Type.String({ minLength: 2 }) }, { additionalProperties: false }),
    ]),
  });
  t.same(errors(S, { at: { x: 10, y: 0 } }), ['at.x: must be ≤ 9 (got 10)']);
  t.same(errors(S, { at: { name: 'a' } }), ['at.name: must be at least 2 character(s) long']);
  t.same(errors(S, { at: { name: 'ab', x: 1 } }), ['at.x: unknown field'], 'one known key each: fewer errors wins');
  t.same(errors(S, { at: {} }), ['at.name: is required'], 'no key known: fewer errors wins');
  t.same(errors(S, { at: [] }), ['at: must be an object (got [])']);
  t.same(errors(S, { at: { x: 1, y: 2 } }), []);
});

t.test('unions of plain types: the type that fits the value, else every type named', async (t) => {
  const U = Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0 }), Type.Null()]);
  t.same(errors(U, -1), ['(root): must be ≥ 0 (got -1)']);
  t.same(errors(U, 'x'), ['(root): must be "auto" (got "x")']);
  t.same(errors(U, 2.5), ['(root): must be a whole number (got 2.5)']);
  t.same(errors(U, true), ['(root): must be "auto", a whole number or null (got true)']);
  t.ok(check(U, 'auto') && check(U, 3) && check(U, null));
  t.same(errors(Type.Union([Type.Literal('a'), Type.Literal('b')]), 'c'), ['(root): must be one of "a", "b" (got "c")']);
  const Short = Type.Union([Type.String(), Type.Null()], { maxLength: 2 });
  t.same(errors(Short, 'abc'), ['(root): must be at most 2 characters'], "the union's own keywords hold too");
  t.same(errors(Short, null), []);
});

t.test('string lengths count characters, not UTF-16 units', async (t) => {
  const S = Type.String({ minLength: 2, maxLength: 3 });
  t.same(errors(S, '😀😀😀'), [], 'three astral characters (six UTF-16 units)');
  t.same(errors(S, '😀'), ['(root): must be at least 2 character(s) long']);
  t.same(errors(S, 'abcd'), ['(root): must be at most 3 characters']);
});

t.test('unique items compare values, not key order', async (t) => {
  const S = Type.Array(Type.Object({ a: Type.Integer(), b: Type.Integer() }), { uniqueItems: true });
  t.same(errors(S, [{ a: 1, b: 2 }, { b: 2, a: 1 }]), ['(root): items must be unique']);
  t.same(errors(S, [{ a: 1, b: 2 }, { a: 2, b: 1 }]), []);
});

t.test('a keyword the validator does not know is refused when the schema is built, naming it and where', async (t) => {
  t.throws(() => Type.String({ format: 'email' }), /unsupported keyword "format" at #/);
  t.throws(() => Type.Integer({ exclusiveMinimum: 0 }), /unsupported keyword "exclusiveMinimum" at #/);
  const inner = () => Type.Object({ a: Type.Object({ b: { type: 'string', enum: ['x'] } }) });
  t.throws(inner, /unsupported keyword "enum" at #\/properties\/b /, 'the inner builder throws first');
  const raw = { type: 'object', properties: { 'b/c': { type: 'string', enum: ['x'] } } };
  t.throws(() => Type.Object({ a: raw }), /unsupported keyword "enum" at #\/properties\/a\/properties\/b~1c /, 'a raw part: the path into it');
  t.throws(() => Type.Record(Type.String({ maxLength: 5 }), Type.Integer()), /"maxLength" at the key of Type.Record: only a pattern/);
  t.throws(() => Type.Union([Type.Null(), { oneOf: [] }]), /unsupported keyword "oneOf" at #\/anyOf\/1/);
  t.throws(() => Type.Object({}, { additionalProperties: Type.String() }), /"additionalProperties" at #: must be true or false/);
  t.throws(() => Type.Unknown({ type: ['string', 'null'] }), /"type" at #: must be one of string, number, integer, boolean, object, array, null/);
  t.throws(() => Type.String({ pattern: '[' }), /"pattern" at #: not a regular expression/);
  t.throws(() => Type.Union([Type.Literal('a'), { const: { x: 1 } }]), /"const" at #\/anyOf\/1: must be a string, number, boolean or null/);
  t.throws(() => Type.Integer({ minimum: '1' }), /"minimum" at #: must be a number/);
  t.doesNotThrow(() => Type.String({ title: 'T', description: 'D', default: 'x', examples: ['y'], $comment: 'c' }), 'annotations are fine');
});

t.test('a raw schema object is checked when first used, by the validator, default filling and command definitions', async (t) => {
  const raw = { type: 'object', properties: { n: { type: 'integer', format: 'int32' } } } as TSchema;
  t.throws(() => errors(raw, { n: 1 }), /unsupported keyword "format" at #\/properties\/n/);
  t.throws(() => withDefaults(raw, {}), /unsupported keyword "format"/);
  t.throws(() => defineCommand({ name: 'x', summary: 'x', schema: raw }), /unsupported keyword "format"/);
  t.throws(() => command({ name: 'x', summary: 'x', schema: raw }, 1000, async () => null), /unsupported keyword "format"/);
  t.same(errors({ type: 'integer', maximum: 3 } as TSchema, 4), ['(root): must be ≤ 3 (got 4)'], 'a raw schema of known keywords works');
});
