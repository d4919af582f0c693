// The fuzzer's own checks can fail (lab/fuzz.ts): a decoder that throws a TypeError, one that writes to
// Object.prototype, and one that changes a prototype member are each reported once, with the seed and the case; the
// same seed makes the same inputs; and a mutated sample is still made of the sample's parts.
import t from 'tap';
import { fuzz, Mutator } from '../../lab/fuzz.js';

/** A stand-in for tap's assertions that records what the fuzzer reports. */
function recorder() {
  const fails: string[] = [];
  return { fails, fail: (m?: string) => (fails.push(String(m)), true), equal: () => true } as never as { fails: string[] } & Parameters<typeof fuzz>[0];
}

const sample = { a: 1, b: { c: 'x', d: [1, 2] } };

t.test('a decoder that throws a TypeError is reported with the seed and the case', async (t) => {
  const r = recorder();
  await fuzz<string>(r, {
    name: 'broken',
    seed: 7,
    cases: 100,
    make: (m) => m.json([sample]),
    decode: (text) => (JSON.parse(text) as { b: { c: string } }).b.c.length, // TypeError once `b` is gone
    refusal: (err) => err instanceof SyntaxError,
  });
  t.equal(r.fails.length, 1, 'one failure, then it stops');
  t.match(r.fails[0], /^broken: case \d+ \(seed 7\) threw TypeError: /);
});

t.test('a write to Object.prototype, and a changed member, are caught after the case', async (t) => {
  for (const [what, harm, undo] of [
    ['a new key', () => Object.defineProperty(Object.prototype, 'polluted', { value: true, configurable: true }), () => delete (Object.prototype as Record<string, unknown>).polluted],
    ['a changed member', () => ((Array.prototype as unknown as Record<string, unknown>).includes = () => true), () => ((Array.prototype as unknown as Record<string, unknown>).includes = original)],
  ] as const) {
    const r = recorder();
    try {
      await fuzz<string>(r, { name: what, seed: 1, cases: 5, make: (m) => m.json([sample]), decode: (x) => (harm(), x), refusal: () => true });
    } finally {
      undo();
    }
    t.equal(r.fails.length, 1, `${what}: reported`);
    t.match(r.fails[0], /case 0 \(seed 1\) changed (Object\.polluted|Array\.includes)/, `${what}: names the case and the member`);
  }
});
const original = Array.prototype.includes;

t.test('the same seed makes the same inputs; another seed others', async (t) => {
  const make = (seed: number) => {
    const m = new Mutator(seed);
    return Array.from({ length: 200 }, () => m.json([sample]));
  };
  t.same(make(3), make(3));
  t.not(make(3).join('\n'), make(4).join('\n'));
  const texts = make(5);
  t.ok(texts.some((x) => x.includes('"__proto__"')) && texts.some((x) => x.includes('"constructor"')), 'prototype keys are made');
  t.ok(texts.some((x) => /\[{65,}/.test(x)), 'deep nesting is made');
  t.ok(texts.some((x) => { try { JSON.parse(x); return false; } catch { return true; } }), 'and text that is not JSON');
});
