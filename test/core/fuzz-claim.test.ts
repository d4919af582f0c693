// Fuzz of both ends of the claim (core/claim.ts): the request as the carrier's claim service reads it (anyone who
// holds the factory credential can send one), and the answer as a factory box reads and opens it (readClaimAnswer,
// unseal of the password and the label password, claimedConfig: what agent/claim.ts's claimOnce does before it
// writes anything). Mutations of valid messages (lab/fuzz.ts); each case is a valid value or a clear refusal
// (BadRequestError, ConfigError), never a TypeError or a crypto library's raw error; no prototype changes.
import t from 'tap';
import { createPrivateKey } from 'node:crypto';
import { readClaimAnswer, readClaimRequest, unseal, type ClaimAnswer } from '../../core/claim.js';
import { DiemcauError } from '../../core/errors.js';
import { claimedConfig } from '../../agent/claim.js';
import { parseConfig } from '../../agent/config/load.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14004);
const CASES = fuzzCases(3000);
const SERIAL = 'DC-2026-000417';
// Fixed keys and sealed values (made once with seal()), so the same seed makes the same cases.
const BOX_PRIV = createPrivateKey({ key: Buffer.from(`302e020100300506032b656e04220420${'11'.repeat(32)}`, 'hex'), format: 'der', type: 'pkcs8' });
const BOX_PUB = 'MCowBQYDK2VuAyEAe06Qm75//kTEZaIgA31gjuNYl9Me+XLwf3SJLLD3PxM=';
const SEALED_PASSWORD = { epk: 'MCowBQYDK2VuAyEAZzh+rkHiRzcS9NAV756gwSG6iGBZj6CHYY646m3rCVs=', iv: 'rZPI0j7qCNxbEhlO', ct: 'IBKqWduMlLpcdTIc', tag: 'HWnlW6Z7t6FDOmfMk/+5sw==' };
const SEALED_LABEL = { epk: 'MCowBQYDK2VuAyEAzw0TSZs5y1KoCDk66QCAujJ7/p1dl9G71nKx3dI/2TI=', iv: 'rSukmS8ydmV6YZyz', ct: 'Cu8m/1o0gA==', tag: 'jpi7/v6mnFvb6menbOUbsA==' };
const refusal = (err: unknown) => err instanceof DiemcauError && (err.code === 'bad_request' || err.code === 'config_invalid');

t.test('a claim request, as the claim service reads it', async (t) => {
  const samples = [
    { serial: SERIAL, kind: 'password', pub: BOX_PUB },
    { serial: SERIAL, kind: 'password', installCode: '7KQ2M9XD', pub: BOX_PUB },
    { serial: SERIAL, kind: 'certificate', pub: BOX_PUB, csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n' },
  ];
  const r = await fuzz<string>(t, {
    name: 'claim request',
    seed: SEED,
    cases: CASES,
    make: (m) => m.json(samples),
    decode: (text) => readClaimRequest(Buffer.from(text), `diemcau/v1/claim/${SERIAL}/req`),
    refusal,
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached (${r.accepted} accepted, ${r.refused} refused)`);
});

t.test('a claim answer, as a factory box reads and opens it', async (t) => {
  const factory = parseConfig(
    { box: { id: 'unclaimed' }, mqtt: { brokers: ['mqtt://127.0.0.1:1883'] }, claim: { serial: SERIAL, username: 'claim', password: 'factory-secret', dir: '/tmp/x' } },
    'factory',
  );
  const granted = { ok: true, boxId: 'vn-26734', brokers: ['mqtt://127.0.0.1:1883'], hall: { name: 'Hội trường xã Hòa Bình', groups: ['p-01', 'all'] } };
  const samples: ClaimAnswer[] = [
    { ...granted, ok: true, username: 'vn-26734', sealed: SEALED_PASSWORD, label: SEALED_LABEL },
    { ...granted, ok: true, username: 'vn-26734', sealed: SEALED_PASSWORD },
    { ok: false, error: { code: 'unknown_serial', message: 'no hall has this serial' } },
  ];
  const topic = `diemcau/v1/claim/${SERIAL}/res`;
  const r = await fuzz<string>(t, {
    name: 'claim answer',
    seed: SEED + 1,
    cases: CASES,
    make: (m) => m.json(samples),
    decode: (text) => {
      const a = readClaimAnswer(Buffer.from(text), SERIAL, topic);
      if (!a.ok) return a;
      const password = a.sealed ? unseal(BOX_PRIV, SERIAL, a.sealed) : undefined;
      const label = a.label ? unseal(BOX_PRIV, SERIAL, a.label) : undefined;
      return claimedConfig(factory, a, password, label);
    },
    refusal,
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes reached (${r.accepted} accepted, ${r.refused} refused)`);
});

// Found by this fuzzer: a sealed value whose key was not X25519 DER (or whose IV was empty, or tag short) made unseal
// throw OpenSSL's own error (`error:0680009B:asn1 encoding routines::too long`) instead of the claim's refusal.
t.test('a sealed value that is not one is refused as the claim\'s, not OpenSSL\'s, error', async (t) => {
  t.equal(unseal(BOX_PRIV, SERIAL, SEALED_PASSWORD), 'box-secret-1', 'the fixed sample opens');
  for (const bad of [{ epk: 'AAAA' }, { epk: `${SEALED_PASSWORD.epk.slice(0, 20)}öj${SEALED_PASSWORD.epk.slice(22)}` }, { iv: '' }, { tag: 'AA==' }]) {
    t.throws(() => unseal(BOX_PRIV, SERIAL, { ...SEALED_PASSWORD, ...bad }), { code: 'bad_request', message: /claim DC-2026-000417: the sealed password does not open/ }, JSON.stringify(bad));
  }
});
