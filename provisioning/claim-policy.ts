// Who gets which identity: a pure decision over the carrier's halls, identities and claims. The rules that keep a
// leaked claim credential harmless live here: a hall whose box has been seen online as itself is never handed out
// again (a technician resets it with `diemcau-provision reset`), a hall half-way through a claim by one serial is
// refused to every other serial, and one serial holds one hall.
import type { ClaimRequest } from '../core/claim.js';
import type { Hall } from './halls.js';
import type { Claim, Identity } from './store.js';

export type Decision = { grant: string } | { refuse: { code: string; message: string } };

export interface ClaimIndex {
  halls: Record<string, Hall>;
  identities: Record<string, Identity>;
  claims: Record<string, Claim>;
  /** Box id -> time of the last `diemcau-provision reset`: a claim issued before it no longer counts. */
  resets: Record<string, string>;
  byCode: Map<string, string>;
  bySerial: Map<string, string>;
  claimedBySerial: Map<string, string>;
}

export function normCode(code: string): string {
  return code.toUpperCase().replace(/-/g, '');
}

export function buildIndex(
  halls: Record<string, Hall>,
  identities: Record<string, Identity>,
  claims: Record<string, Claim>,
  resets: Record<string, string> = {},
): ClaimIndex {
  const byCode = new Map<string, string>();
  for (const id of Object.values(identities)) if (halls[id.boxId]) byCode.set(normCode(id.installCode), id.boxId);
  const bySerial = new Map<string, string>();
  for (const h of Object.values(halls)) if (h.serial) bySerial.set(h.serial, h.boxId);
  const claimedBySerial = new Map<string, string>();
  for (const [boxId, c] of Object.entries(claims)) {
    if (resets[boxId] && resets[boxId] > c.issuedAt) delete claims[boxId]; // reopened by a technician
    else claimedBySerial.set(c.serial, boxId);
  }
  return { halls, identities, claims, resets, byCode, bySerial, claimedBySerial };
}

const refuse = (code: string, message: string): Decision => ({ refuse: { code, message } });

export function decide(ix: ClaimIndex, req: ClaimRequest): Decision {
  let boxId: string | undefined;
  if (req.installCode !== undefined) {
    boxId = ix.byCode.get(normCode(req.installCode));
    if (!boxId) return refuse('unknown_code', `install code ${req.installCode} belongs to no hall`);
    const want = ix.halls[boxId].serial;
    if (want && want !== req.serial) return refuse('serial_mismatch', `hall ${boxId} expects box serial ${want}, not ${req.serial}`);
  } else {
    boxId = ix.bySerial.get(req.serial);
    if (!boxId) return refuse('unknown_serial', `serial ${req.serial} is assigned to no hall; enter the hall's install code`);
  }
  const claim = ix.claims[boxId];
  if (claim?.confirmedAt) {
    return refuse('already_claimed', `hall ${boxId} was claimed by serial ${claim.serial} at ${claim.confirmedAt}; reset it first`);
  }
  if (claim && claim.serial !== req.serial) {
    return refuse('claim_in_progress', `hall ${boxId} is being claimed by serial ${claim.serial}`);
  }
  const held = ix.claimedBySerial.get(req.serial);
  if (held && held !== boxId) return refuse('serial_taken', `serial ${req.serial} already holds hall ${held}`);
  if (req.kind === 'certificate' && !req.csr) return refuse('bad_request', 'a certificate claim must carry a CSR');
  if (req.kind === 'password' && !req.pub) return refuse('bad_request', 'a password claim must carry the X25519 key to seal the password to');
  return { grant: boxId };
}
