// The carrier's side of an ejabberd MQTT cluster (ejabberd 23.01, Debian's package), as `diemcau-provision
// ejabberd-conf` writes it: one ejabberd.yml for every node, and the accounts to load into the cluster once.
//
// Logins. ejabberd authenticates an MQTT client as one of its own accounts, `user@host`; a username without `@` is
// taken as `<username>@<the first of hosts>` (mod_mqtt_session:parse_credentials). The carrier's MQTT domain is
// the only host here, so a box logs in with its box id as it does on Mosquitto, and its account is
// `<box id>@<domain>`. Box ids are lower case letters, digits and `-` (BOX_ID_PATTERN): JID node parts that
// nodeprep leaves as they are, so `%u` in a rule names exactly the box's topics.
//
// Access (mod_mqtt access_publish / access_subscribe): a topic is allowed when a listed filter matches it and that
// filter's rule allows the login; `%u` matches the login's user, `%c` its client id. The same confinement as the
// Mosquitto ACL (acl.ts): a box writes BOX_WRITES and reads BOX_READS under its own id and reads its groups'
// command topics (one ACL per group, listing its boxes); the claim login asks and reads under its client id (the
// serial) only; the service login reads and writes the whole tree. ejabberd refuses a SUBSCRIBE it does not allow
// (SUBACK 0x8F) where Mosquitto grants it and delivers nothing: either way nothing arrives.
//
// Accounts go in as XEP-0227 (`ejabberdctl import_piefxis`), with SCRAM-SHA-256 credentials rather than passwords.
// ejabberd keeps each SCRAM field base64-encoded and its export_piefxis writes base64 of that text; import_piefxis
// decodes once, so that is what is written here (the round trip of ejabberd's own export).
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Carrier, Identity } from './store.js';
import type { Hall } from './halls.js';
import { BOX_READS, BOX_WRITES, ROOT } from '../core/topics.js';
import { mapLimit } from '../core/map-limit.js';

const pbkdf2Async = promisify(pbkdf2);
/**
 * PBKDF2 rounds of the stored credential: as many as Mosquitto's password file beside it (mosquitto_passwd's
 * default, passwd.ts). ejabberd checks an MQTT password by deriving the salted password again, in Erlang: 42 ms a
 * login at RFC 7677's 4,096 rounds on the lab machine (a fleet's return after a node dies: minutes of CPU), 0.4 ms
 * at 101. A login sends the password itself; the rounds only slow a guess at a stolen database.
 */
export const SCRAM_ITERATIONS = 101;

export interface EjabberdConfOptions {
  /** The carrier's MQTT domain: the host every account is on. */
  domain: string;
  port: number;
  /** Listen on this address only (default: every address). */
  bind?: string;
  /** A second MQTT listener, over TLS (mqtts://), with the broker certificate and key `diemcau-provision ca` made. */
  tls?: { port: number; cert: string; key: string };
}

const q = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar
const attr = (s: string) => `"${s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')}"`;

/** Names of the ACLs and access rules, one per role and one per group. */
const CLAIM = 'diemcau_claim';
const SERVICE = 'diemcau_service';
const BOX = 'diemcau_box';
const groupAcl = (g: string) => `diemcau_group_${g}`;

export function renderEjabberdConf(carrier: Carrier, halls: Iterable<Pick<Hall, 'boxId' | 'groups'>>, o: EjabberdConfOptions): string {
  const members = new Map<string, string[]>();
  let boxes = 0;
  for (const h of halls) {
    boxes++;
    for (const g of h.groups) members.set(g, [...(members.get(g) ?? []), h.boxId]);
  }
  const groups = [...members.keys()].sort();
  const out = [
    '# ejabberd.yml for diemcau, rendered by `diemcau-provision ejabberd-conf`: the same file on every node of the',
    '# cluster; edits are overwritten. After a new render: `ejabberdctl reload_config` on each node.',
    `hosts: [${q(o.domain)}]`,
    'loglevel: info',
    // ejabberd picks the certificate for a TLS listener from these files, by the key that matches it.
    ...(o.tls ? [`certfiles: [${q(o.tls.cert)}, ${q(o.tls.key)}]`] : []),
    'listen:',
    ...listener(o.port, o.bind, false),
    ...(o.tls ? listener(o.tls.port, o.bind, true) : []),
    // Every publish asks every node which of its subscribers match, and mod_mqtt ends the publisher's session when
    // a node has not answered within this (mod_mqtt_mnesia:mqtree_multi_match): at the default 5 s, a node behind
    // on a burst of logins (Mnesia overloaded) made the others drop their boxes, which logged in again, and so on.
    'rpc_timeout: 30 sec',
    'auth_method: [internal]',
    'auth_password_format: scram',
    'auth_scram_hash: sha256',
    'acl:',
    `  ${CLAIM}: {user: ${q(carrier.claim.username)}}`,
    `  ${SERVICE}: {user: ${q(carrier.service.username)}}`,
    ...groups.map((g) => `  ${q(groupAcl(g))}: {user: [${members.get(g)!.map(q).join(', ')}]}`),
    'access_rules:',
    // Box patterns name `diemcau/v1/<login>/...`: for the claim login that would be `diemcau/v1/claim/...`.
    `  ${BOX}: [{deny: ${CLAIM}}, {allow: all}]`,
    `  ${CLAIM}: {allow: ${CLAIM}}`,
    `  ${SERVICE}: {allow: ${SERVICE}}`,
    ...groups.map((g) => `  ${q(groupAcl(g))}: {allow: ${q(groupAcl(g))}}`),
    'modules:',
    '  mod_mqtt:',
    // The console and `diemcau-provision status` rebuild their picture from retained messages: all of them, not 1,000.
    '    match_retained_limit: infinity',
    // A session keeps one QoS 1 message in flight and queues the rest; past max_queue (default 5,000) it ends the
    // session, "Message queue is overloaded" (mod_mqtt_session:send). The console's SUBSCRIBE to every box's
    // presence and state is handed 2 per box at once: at 10,400 boxes it got 1 retained message and was cut off.
    // Sized by maxQueue below, and never under Mosquitto's max_queued_messages (broker-conf.ts).
    `    max_queue: ${maxQueue(boxes)}`,
    '    access_publish:',
    ...BOX_WRITES.map((l) => `      ${q(`${ROOT}/%u/${l}`)}: ${BOX}`),
    `      ${q(`${ROOT}/claim/%c/req`)}: ${CLAIM}`,
    `      ${q(`${ROOT}/#`)}: ${SERVICE}`,
    '    access_subscribe:',
    ...BOX_READS.map((l) => `      ${q(`${ROOT}/%u/${l}`)}: ${BOX}`),
    `      ${q(`${ROOT}/claim/%c/res`)}: ${CLAIM}`,
    ...groups.map((g) => `      ${q(`${ROOT}/group/${g}/cmd/#`)}: ${q(groupAcl(g))}`),
    `      ${q(`${ROOT}/#`)}: ${SERVICE}`,
  ];
  return out.join('\n') + '\n';
}

/**
 * A session's queue: 8 messages per box, room for each of its retained leaves (presence, state, desired config,
 * commissioning) twice over; 100,000 at least, as Mosquitto's max_queued_messages.
 */
export function maxQueue(boxes: number): number {
  return Math.max(100_000, boxes * 8);
}

/** One mod_mqtt listener; over TLS, boxes verify the node against the carrier CA and log in with their password. */
function listener(port: number, bind: string | undefined, tls: boolean): string[] {
  return [`  - port: ${port}`, ...(bind ? [`    ip: ${q(bind)}`] : []), '    module: mod_mqtt', ...(tls ? ['    tls: true'] : []), '    backlog: 4096'];
}

/** One SCRAM-SHA-256 credential (RFC 5802 §3) as XEP-0227 `<scram-credentials>`, fields as ejabberd exports them. */
async function scramCredentials(password: string): Promise<string> {
  const salt = randomBytes(16);
  const salted = await pbkdf2Async(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, what: string) => createHmac('sha256', key).update(what).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const field = (b: Buffer) => Buffer.from(b.toString('base64')).toString('base64');
  return (
    '<scram-credentials xmlns="urn:xmpp:pie:0#scram" mechanism="SCRAM-SHA-256">' +
    `<iter-count>${SCRAM_ITERATIONS}</iter-count><salt>${field(salt)}</salt>` +
    `<server-key>${field(serverKey)}</server-key><stored-key>${field(storedKey)}</stored-key></scram-credentials>`
  );
}

/** The logins of a carrier: the claim and service credentials, then every box's identity. */
export function carrierLogins(carrier: Carrier, ids: Record<string, Identity>): Array<{ username: string; password: string }> {
  return [carrier.claim, carrier.service, ...Object.values(ids).map((i) => ({ username: i.username, password: i.password }))];
}

/**
 * XEP-0227 document with an account for each login not in `skip` (the accounts the cluster already has:
 * import_piefxis stops at the first account that exists). Hashing runs on the thread pool, a few at a time.
 */
export async function renderEjabberdAccounts(domain: string, logins: Array<{ username: string; password: string }>, skip: Set<string> = new Set()): Promise<{ xml: string; written: number }> {
  const todo = logins.filter((l) => !skip.has(l.username));
  const users = await mapLimit(todo, 4, async (l) => `<user name=${attr(l.username)}>${await scramCredentials(l.password)}</user>`);
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<server-data xmlns="urn:xmpp:pie:0">',
    `<host jid=${attr(domain)}>`,
    ...users,
    '</host>',
    '</server-data>',
  ];
  return { xml: xml.join('\n') + '\n', written: todo.length };
}
