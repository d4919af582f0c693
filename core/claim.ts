// The claim contract between a factory box and the carrier's claim service (agent/claim.ts, provisioning/
// claim-service.ts): the request and answer schemas, their topics, and the sealing of the password to a key the box
// made for the one request.
import { randomBytes, generateKeyPairSync, createPublicKey, createCipheriv, createDecipheriv, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { Type, type Static } from './schema/type.js';
import { HallConfig } from './config/schema.js';
import { DiemcauError, BadRequestError } from './errors.js';
import { Value } from './schema/value.js';
import { parseJsonText } from './schema/json-text.js';

export const ClaimRequest = Type.Object(
  {
    serial: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$' }),
    installCode: Type.Optional(Type.String({ maxLength: 16 })),
    kind: Type.Union([Type.Literal('password'), Type.Literal('certificate')]),
    csr: Type.Optional(Type.String({ maxLength: 8192, description: 'PEM CSR for the key made on the box.' })),
    pub: Type.Optional(Type.String({ maxLength: 200, description: 'Base64 SPKI of an X25519 key made for this request.' })),
  },
  { additionalProperties: false },
);
export type ClaimRequest = Static<typeof ClaimRequest>;

const SealedT = Type.Object({ epk: Type.String(), iv: Type.String(), ct: Type.String(), tag: Type.String() }, { additionalProperties: false });

export const ClaimGranted = Type.Object({
  ok: Type.Literal(true),
  boxId: Type.String(),
  brokers: Type.Array(Type.String(), { minItems: 1 }),
  hall: HallConfig,
  username: Type.Optional(Type.String()),
  /** The password, sealed to the request's `pub`. */
  sealed: Type.Optional(SealedT),
  certificate: Type.Optional(Type.String()),
  ca: Type.Optional(Type.String()),
  /** The carrier's label password for the technician page, sealed like the password (config.technician.password). */
  label: Type.Optional(SealedT),
  updateKey: Type.Optional(Type.String({ description: 'PEM ed25519 public key that signs update bundles.' })),
});
export type ClaimGrantedT = Static<typeof ClaimGranted>;
export const ClaimRefused = Type.Object({
  ok: Type.Literal(false),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
export const ClaimAnswer = Type.Union([ClaimGranted, ClaimRefused]);
export type ClaimAnswer = Static<typeof ClaimAnswer>;

/**
 * A claim message as read off the wire (the request by the claim service, the answer by the box): JSON read as
 * written (bounded depth, exact numbers), then the schema; anything else is a BadRequestError naming `what`.
 */
function readClaimMessage<T>(schema: Parameters<typeof Value.Check>[0], payload: Buffer, what: string, protocol: string): T {
  let v: unknown;
  try {
    v = parseJsonText(payload.toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`${what} is not JSON the claim protocol takes: ${(err as Error).message}`);
  }
  if (!Value.Check(schema, v)) throw new BadRequestError(`${what} does not match the ${protocol}`);
  return v as T;
}

/**
 * The largest claim request read: a CSR (8 KB at most) and a few short fields. Anyone holding the factory credential
 * can publish one, so a bigger one is refused before it is parsed.
 */
export const MAX_CLAIM_REQUEST_BYTES = 16 * 1024;

/** The box's request, as the claim service reads it from `topic`. */
export function readClaimRequest(payload: Buffer, topic: string): ClaimRequest {
  if (payload.length > MAX_CLAIM_REQUEST_BYTES) {
    throw new BadRequestError(`claim request on ${topic} is ${payload.length} bytes, over the ${MAX_CLAIM_REQUEST_BYTES}-byte limit`);
  }
  return readClaimMessage<ClaimRequest>(ClaimRequest, payload, `claim request on ${topic}`, 'claim request schema');
}

/** The service's answer, as the box `serial` reads it from `topic`. */
export function readClaimAnswer(payload: Buffer, serial: string, topic: string): ClaimAnswer {
  return readClaimMessage<ClaimAnswer>(ClaimAnswer, payload, `claim ${serial}: answer on ${topic}`, 'claim protocol');
}

export type Sealed = NonNullable<Static<typeof ClaimGranted>['sealed']>;

// The password travels sealed to a key the box made for this one request (X25519 ECDH, RFC 7748; HKDF-SHA256,
// RFC 5869, salted with the serial; AES-256-GCM): an answer read off the wire, a broker log or by a client that
// took the serial as its id gives nothing without the box's ephemeral private key.
function sealKey(priv: KeyObject, pub: KeyObject, serial: string): Buffer {
  const shared = diffieHellman({ privateKey: priv, publicKey: pub });
  return Buffer.from(hkdfSync('sha256', shared, Buffer.from(serial), Buffer.from('diemcau-claim-v1'), 32));
}

export function ephemeralKey(): { priv: KeyObject; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { priv: privateKey, pub: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

export function seal(boxPub: string, serial: string, secret: string): Sealed {
  const peer = createPublicKey({ key: Buffer.from(boxPub, 'base64'), format: 'der', type: 'spki' });
  if (peer.asymmetricKeyType !== 'x25519') throw new BadRequestError(`claim ${serial}: pub is not an X25519 key`);
  const eph = generateKeyPairSync('x25519');
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(eph.privateKey, peer, serial), iv);
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  const epk = eph.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { epk, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: c.getAuthTag().toString('base64') };
}

/**
 * Opens a sealed secret; a BadRequestError when it does not open. Every step is inside the one refusal: a key that is
 * not X25519 DER, an empty IV or a short tag made OpenSSL throw its own `asn1 encoding routines::too long` (found by
 * test/core/fuzz-claim.test.ts).
 */
export function unseal(priv: KeyObject, serial: string, s: Sealed): string {
  try {
    const epk = createPublicKey({ key: Buffer.from(s.epk, 'base64'), format: 'der', type: 'spki' });
    const d = createDecipheriv('aes-256-gcm', sealKey(priv, epk, serial), Buffer.from(s.iv, 'base64'));
    d.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(s.ct, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new BadRequestError(`claim ${serial}: the sealed password does not open with this request's key`);
  }
}

/** The carrier's service said no (already claimed, unknown serial, wrong code): stable until it changes. */
export class ClaimRefusedError extends DiemcauError {
  constructor(serial: string, code: string, message: string) {
    super('bad_request', `claim ${serial}: refused by the carrier (${code}): ${message}`, { code });
  }
}
