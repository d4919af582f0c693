// The cross-box checks of a carrier's broker, whichever broker it is (Mosquitto with the rendered ACL, an ejabberd
// cluster with the rendered access rules): each box is confined to its own topics and its groups' commands, and the
// claim credential can ask for an identity and nothing else. Each check is a real login, subscription and publish;
// the caller asserts every row (`got` must equal `want`). `urls` says where each login connects: on a cluster,
// different nodes, so a refusal is not a node that merely lacks the route.
//
// A check that nothing arrives waits out `delivered`'s margin; the checks of one phase run at once (each with its
// own marker, each subscription on a filter no other check of the phase uses), so the margins overlap instead of
// adding up. Running them together hides nothing: a check only reads its own marker, and a delivery another
// check's subscription caused would be a leak that fails that check.
import type { MqttClient } from 'mqtt';
import { login, receives, delivered } from './provision-fixture.js';
import type { Store } from '../provisioning/store.js';

export interface Check {
  got: boolean;
  want: boolean;
  what: string;
}

export interface AclUrls {
  a: string;
  b: string;
  service: string;
  claim: string;
}

type Pending = [got: Promise<boolean>, want: boolean, what: string];

/** The rows of checks started together, in the order written. */
async function together(checks: Pending[]): Promise<Check[]> {
  const got = await Promise.all(checks.map(([g]) => g));
  return checks.map(([, want, what], i) => ({ got: got[i], want, what }));
}

async function logins(urls: AclUrls, store: Store, fn: (c: { carrier: Awaited<ReturnType<Store['carrier']>>; S: MqttClient }) => Promise<Check[]>): Promise<Check[]> {
  const carrier = await store.carrier();
  const S = await login(urls.service, carrier.service.username, carrier.service.password, 'svc');
  try {
    return await fn({ carrier, S });
  } finally {
    await S.endAsync(true);
  }
}

export function boxChecks(urls: AclUrls, store: Store): Promise<Check[]> {
  return logins(urls, store, async ({ S }) => {
    const ids = await store.identities();
    const halls = await store.halls();
    const [a, b] = Object.keys(ids).sort();
    const A = await login(urls.a, a, ids[a].password, a);
    const B = await login(urls.b, b, ids[b].password, b);
    const rows: Check[] = [];
    try {
      const cfgA = `diemcau/v1/${a}/config/desired`;
      const cfgB = `diemcau/v1/${b}/config/desired`;
      const own = `diemcau/v1/group/${halls[a].groups[0]}/cmd/reboot`;
      const foreign = halls[b].groups.find((g) => !halls[a].groups.includes(g))!;
      rows.push(
        ...(await together([
          [login(urls.a, a, 'wrong', 'x').then((c) => (c.end(true), true), () => false), false, 'a wrong password is refused'],
          [receives(A, cfgA, S, cfgA), true, 'A reads its own config'],
          [receives(A, cfgB, S, cfgB), false, "A cannot subscribe to B's config"],
          [receives(A, 'diemcau/v1/+/config/desired', S, cfgB), false, "A's wildcard does not reach B's config"],
          [receives(A, '#', S, cfgB), false, "A's # does not reach B's config"],
          [receives(A, `diemcau/v1/${b}/cmd/+`, S, `diemcau/v1/${b}/cmd/reboot`), false, "A cannot read B's commands"],
          [receives(A, `diemcau/v1/${a}/cmd/+`, S, `diemcau/v1/${a}/cmd/reboot`), true, 'A reads its own commands'],
          [receives(A, `diemcau/v1/group/${halls[a].groups[0]}/cmd/+`, S, own), true, "A reads its province group's commands"],
          [receives(A, `diemcau/v1/group/${foreign}/cmd/+`, S, `diemcau/v1/group/${foreign}/cmd/reboot`), false, 'A cannot read a group it is not in'],
        ])),
      );
      // A retained config of B, published before A subscribes, is not handed to A either.
      await S.publishAsync(cfgB, '{"version":1}', { qos: 1, retain: true });
      let leaked = false;
      A.on('message', (topic) => (leaked ||= topic === cfgB));
      await A.subscribeAsync('diemcau/v1/+/config/desired', { qos: 1 }).catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      rows.push({ got: leaked, want: false, what: "B's retained config is not delivered to A" });

      await S.subscribeAsync('diemcau/v1/#', { qos: 1 });
      await B.subscribeAsync(`diemcau/v1/${b}/config/desired`, { qos: 1 });
      rows.push(
        ...(await together([
          [delivered(A, S, `diemcau/v1/${a}/state`), true, 'A publishes its own state'],
          [delivered(A, S, `diemcau/v1/${b}/state`), false, "A cannot publish B's state"],
          [delivered(A, S, `diemcau/v1/${b}/presence`), false, "A cannot publish B's presence"],
          [delivered(A, S, `diemcau/v1/${a}/config/desired`), false, 'A cannot write its own desired config'],
          [delivered(A, S, `diemcau/v1/group/${halls[a].groups[0]}/cmd/reboot`), false, 'A cannot command its group'],
          [delivered(S, B, `diemcau/v1/${b}/config/desired`), true, "the service writes B's config and B reads it"],
        ])),
      );
      return rows;
    } finally {
      await Promise.all([A, B].map((x) => x.endAsync(true)));
    }
  });
}

export function claimChecks(urls: AclUrls, store: Store): Promise<Check[]> {
  return logins(urls, store, async ({ carrier, S }) => {
    const ids = await store.identities();
    const [a] = Object.keys(ids).sort();
    const K = await login(urls.claim, carrier.claim.username, carrier.claim.password, 'SN-0001');
    const other = await login(urls.a, a, ids[a].password, 'SN-0002');
    const rows: Check[] = [];
    try {
      const reads: Array<[string, string]> = [
        ['diemcau/v1/claim/SN-0002/res', 'diemcau/v1/claim/SN-0002/res'],
        ['diemcau/v1/claim/+/res', 'diemcau/v1/claim/SN-0002/res'],
        ['#', 'diemcau/v1/claim/SN-0002/res'],
        ['diemcau/v1/#', `diemcau/v1/${a}/config/desired`],
        [`diemcau/v1/${a}/config/desired`, `diemcau/v1/${a}/config/desired`],
        [`diemcau/v1/${a}/cmd/+`, `diemcau/v1/${a}/cmd/reboot`],
        ['diemcau/v1/+/state', `diemcau/v1/${a}/state`],
        ['diemcau/v1/claim/config/desired', 'diemcau/v1/claim/config/desired'],
        ['diemcau/v1/claim/cmd/+', 'diemcau/v1/claim/cmd/reboot'],
        ['diemcau/v1/group/r-north/cmd/+', 'diemcau/v1/group/r-north/cmd/reboot'],
      ];
      rows.push(
        ...(await together([
          [receives(K, 'diemcau/v1/claim/SN-0001/res', S, 'diemcau/v1/claim/SN-0001/res'), true, 'reads its own claim answer'],
          ...reads.map(([filter, topic]): Pending => [receives(K, filter, S, topic), false, `subscribed to ${filter}, does not get ${topic}`]),
        ])),
      );
      await S.subscribeAsync('diemcau/v1/#', { qos: 1 });
      const writes = ['diemcau/v1/claim/SN-0002/req', 'diemcau/v1/claim/SN-0001/res', `diemcau/v1/${a}/state`, `diemcau/v1/${a}/presence`,
        `diemcau/v1/${a}/config/desired`, 'diemcau/v1/claim/state', 'diemcau/v1/claim/presence', 'diemcau/v1/group/r-north/cmd/reboot'];
      rows.push(
        ...(await together([
          [delivered(K, S, 'diemcau/v1/claim/SN-0001/req'), true, 'writes its own claim request'],
          ...writes.map((topic): Pending => [delivered(K, S, topic), false, `cannot publish to ${topic}`]),
          [
            receives(other, 'diemcau/v1/claim/SN-0002/res', S, 'diemcau/v1/claim/SN-0002/res'),
            false,
            'a box cannot read claim answers by using a serial as its client id',
          ],
        ])),
      );
      return rows;
    } finally {
      await Promise.all([K, other].map((x) => x.endAsync(true)));
    }
  });
}
