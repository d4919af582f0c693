// Every sentence the technician page and the hall's TV card say about the claim, in one place (to translate later).
// The page says what happened and what to do next; the card says it in a few capitals (the TV's built-in font is
// ASCII).
import type { ClaimView } from './claimer.js';

/** What the carrier's refusal codes (provisioning/claim-policy.ts, claim-service.ts) mean on site. */
const REFUSED: Record<string, string> = {
  unknown_code: 'No hall has this install code. Check the code on the work order and type it again.',
  unknown_serial: "The carrier does not know this box's serial. Type the hall's install code from the work order.",
  serial_mismatch: 'This install code is for a hall that expects another box. Use the box the work order names, or ask the carrier to change the hall.',
  already_claimed: 'This hall already has its box. The carrier must reset the hall (diemcau-provision reset) before another box can take it.',
  claim_in_progress: 'Another box is claiming this hall right now. Wait a minute and try again, or ask the carrier.',
  serial_taken: 'This box already holds another hall. Ask the carrier to reset that hall first.',
  rate_limited: 'The carrier saw too many wrong install codes and is slowing down. Wait a minute, then try again.',
  no_ca: 'The carrier cannot issue certificates yet. Ask the carrier to run diemcau-provision ca.',
  bad_request: 'The carrier could not read the request. Ask the carrier; the box will keep trying.',
};

/** What a failure without an answer means (agent/claim.ts's errors). */
const FAILED: Record<string, string> = {
  device_timeout: "The carrier's claim service did not answer. The box reaches the broker, but the carrier must run diemcau-provision serve.",
  disconnected: "The box cannot reach the carrier's broker. Check the network cable, the gateway and the DNS servers below.",
};

export function claimSentence(v: ClaimView): string {
  switch (v.state) {
    case 'waiting':
      return 'Not claimed yet. Type the install code from the work order.';
    case 'claiming':
      return v.installCode ? 'Asking the carrier with the install code…' : "Asking the carrier with this box's serial…";
    case 'claimed':
      return `Claimed: this box is now ${v.boxId} (${v.hall}).`;
    case 'refused':
      return `The carrier refused (${v.code}): ${REFUSED[v.code] ?? 'ask the carrier; the box will keep trying.'}`;
    case 'failed':
      return `No answer yet (${v.code}): ${FAILED[v.code] ?? v.message} The box keeps trying.`;
  }
}

/** The claim state on the TV card. */
export function claimCardLine(v: ClaimView | null, boxId: string): string {
  if (!v || v.state === 'claimed') return `CLAIMED: ${boxId.toUpperCase()}`;
  if (v.state === 'refused') return `NOT CLAIMED - REFUSED (${v.code.toUpperCase()})`;
  if (v.state === 'failed') return 'NOT CLAIMED - CARRIER NOT REACHED';
  return 'NOT CLAIMED - ENTER THE INSTALL CODE ON THE PAGE';
}
