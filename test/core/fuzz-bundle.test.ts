// Fuzz of the update bundle's header as a box reads it (core/bundle.ts verifyBundle: magic, manifest line, signature
// line, then the payload by size and hash). Two kinds of case, from valid bundles (lab/fuzz.ts): the whole file's
// bytes changed (what a hostile mirror or a torn download gives: must never verify), and the manifest changed as
// JSON and then signed again with the trusted key (the decoder behind the signature must hold too). Each case
// verifies or is refused with a BundleRefusedError; nothing else is thrown, no prototype changes.
import t from 'tap';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BundleRefusedError, keyId, MAGIC, verifyBundle, type Manifest } from '../../core/bundle.js';
import { fuzz, fuzzCases, fuzzSeed } from '../../lab/fuzz.js';

const SEED = fuzzSeed(14006);
const CASES = fuzzCases(1500);
const KEY = createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${'22'.repeat(32)}`, 'hex'), format: 'der', type: 'pkcs8' });
const PUB = createPublicKey(KEY);
const NOW = new Date('2026-11-30T00:00:00Z');
const PAYLOAD = Buffer.from('a payload: only its size and hash are read while verifying\n'.repeat(8));

function manifest(version: string): Manifest {
  return {
    product: 'diemcau',
    version,
    createdAt: '2026-11-29T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    keyId: keyId(PUB),
    entry: 'dist/agent/cli.js',
    payload: { sha256: createHash('sha256').update(PAYLOAD).digest('hex'), size: PAYLOAD.length },
  };
}

/** A bundle file's bytes with `line` as its manifest, signed by the trusted key. */
function bundle(line: string): Buffer {
  const bytes = Buffer.from(line, 'utf8');
  const sig = sign(null, bytes, KEY).toString('base64');
  return Buffer.concat([Buffer.from(`${MAGIC}\n`), bytes, Buffer.from(`\n${sig}\n`), PAYLOAD]);
}

const samples = [manifest('1.4.0'), manifest('2.0.0-rc.1'), manifest('1.3.10')];
const dir = await mkdtemp(join(tmpdir(), 'diemcau-fuzz-bundle-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const file = join(dir, 'bundle');
const opts = { trustedKeys: [PUB], installedVersion: '1.3.2', now: NOW };
const refusal = (err: unknown) => err instanceof BundleRefusedError;

t.test('the samples verify', async (t) => {
  for (const m of samples) {
    await writeFile(file, bundle(JSON.stringify(m)));
    t.equal((await verifyBundle(file, opts)).manifest.version, m.version);
  }
});

t.test('a bundle file with changed bytes never verifies', async (t) => {
  const files = samples.map((m) => bundle(JSON.stringify(m)));
  const r = await fuzz<Buffer>(t, {
    name: 'bundle bytes',
    seed: SEED,
    cases: CASES,
    make: (m) => {
      let b = m.bytes(files, [0x0a, 0x7b, 0x22]);
      while (files.some((f) => f.equals(b))) b = m.bytes(files, [0x0a]); // a mutation that changed nothing
      return b;
    },
    decode: async (b) => {
      await writeFile(file, b);
      const v = await verifyBundle(file, opts);
      // Only a change to the payload's tail after the signed size could pass, and that is caught by size: never.
      throw new Error(`a changed bundle verified as ${v.manifest.version}`);
    },
    refusal,
    show: (b) => JSON.stringify(b.subarray(0, 400).toString('latin1')),
  });
  t.equal(r.accepted, 0, 'none verified');
});

t.test('a changed manifest, signed again, is read or refused with a reason', async (t) => {
  const reasons = new Map<string, number>();
  const r = await fuzz<string>(t, {
    name: 'signed manifest',
    seed: SEED + 1,
    cases: CASES,
    make: (m) => m.json(samples),
    decode: async (line) => {
      await writeFile(file, bundle(line));
      return verifyBundle(file, opts);
    },
    refusal: (err) => {
      if (err instanceof BundleRefusedError) reasons.set(err.reason, (reasons.get(err.reason) ?? 0) + 1);
      return refusal(err);
    },
  });
  t.ok(r.accepted > 0 && r.refused > 0, `both outcomes (${r.accepted} verified; refused: ${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')})`);
});

// Found by this fuzzer (seed 14006, case 1674): the signature's padding `=` changed to 0xff still verified, because
// Node's base64 decoder skips bytes that are not base64. A changed file must never verify, even where the change
// leaves the manifest and payload as signed.
t.test('a signature line that is not exactly the base64 of the signature is refused', async (t) => {
  const good = bundle(JSON.stringify(samples[0]));
  const sigStart = good.indexOf(0x0a, good.indexOf(0x0a) + 1) + 1;
  const pad = good.indexOf(0x3d /* = */, sigStart);
  for (const [what, b] of [
    ['padding replaced by 0xff', Buffer.concat([good.subarray(0, pad), Buffer.from([0xff]), good.subarray(pad + 1)])],
    ['a space inside', Buffer.concat([good.subarray(0, sigStart + 10), Buffer.from(' '), good.subarray(sigStart + 10)])],
    ['a character that is not base64 inside', Buffer.concat([good.subarray(0, sigStart + 10), Buffer.from('*'), good.subarray(sigStart + 10)])],
  ] as const) {
    await writeFile(file, b);
    await t.rejects(verifyBundle(file, opts), { code: 'bad_request', reason: 'bad_signature' }, what);
  }
  await writeFile(file, good);
  t.equal((await verifyBundle(file, opts)).manifest.version, samples[0].version, 'the unchanged file verifies');
});
