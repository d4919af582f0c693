// The broker ACL that confines every box to its own topics (mosquitto.conf(5), acl_file). Box usernames are box
// ids, so one set of `pattern` lines with %u covers all boxes; a box's groups differ per box, so each box gets a
// `user` block with read access to its groups' command topics. Pattern lines apply to every user, the claim
// user included, which is why the claim topics are written as `diemcau/v1/%u/%c/...`: with the username `claim`
// and the serial as client id they name `diemcau/v1/claim/<serial>/...`, and for a box they name a topic inside
// the box's own namespace that nothing reads. The claim user's block then denies the box-topic patterns that
// would otherwise resolve to `diemcau/v1/claim/...` for it.
import type { Carrier } from './store.js';
import { BOX_READS, BOX_WRITES, ROOT } from '../core/topics.js';

export interface AclBox {
  boxId: string;
  groups: string[];
}

export function renderAcl(carrier: Carrier, boxes: Iterable<AclBox>): string {
  const out: string[] = [
    '# diemcau broker ACL, rendered by `diemcau-provision import`; edits are overwritten.',
    '# Every box: its own state out, its own config and commands in (username = box id).',
    ...BOX_WRITES.map((l) => `pattern write ${ROOT}/%u/${l}`),
    ...BOX_READS.map((l) => `pattern read ${ROOT}/%u/${l}`),
    '# Claim: the claim user (client id = box serial) asks for its identity and reads its own answer only.',
    `pattern write ${ROOT}/%u/%c/req`,
    `pattern read ${ROOT}/%u/%c/res`,
    '',
    `user ${carrier.claim.username}`,
    ...BOX_WRITES.map((l) => `topic deny ${ROOT}/${carrier.claim.username}/${l}`),
    ...BOX_READS.map((l) => `topic deny ${ROOT}/${carrier.claim.username}/${l}`),
    '',
    `user ${carrier.service.username}`,
    `topic readwrite ${ROOT}/#`,
  ];
  for (const b of boxes) {
    if (b.groups.length === 0) continue;
    out.push('', `user ${b.boxId}`);
    for (const g of b.groups) out.push(`topic read ${ROOT}/group/${g}/cmd/#`);
  }
  return out.join('\n') + '\n';
}
