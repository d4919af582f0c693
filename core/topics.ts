// The topic tree, versioned under diemcau/v1/ (docs/mqtt.md). One place builds and parses every topic: the agent,
// diemcau-provision (its ACL, push, requests, claim service) and the central console all use it.

export const ROOT = 'diemcau/v1';

/** What a box publishes under its own `diemcau/v1/<box>/`: the ACL lets it write these and nothing else. A command's
 *  response topic must lie under `reply/`; `commissioning` is the technician's report (retained). */
export const BOX_WRITES = ['presence', 'state', 'telemetry', 'reply/#', 'event/#', 'commissioning'] as const;
/** What a box reads under its own `diemcau/v1/<box>/` (and its groups' command topics). */
export const BOX_READS = ['config/desired', 'cmd/#'] as const;

/** One box topic: `diemcau/v1/<box>/<leaf>`. */
export function boxTopic(boxId: string, leaf: string): string {
  return `${ROOT}/${boxId}/${leaf}`;
}

/** A filter for one leaf of every box, e.g. `diemcau/v1/+/presence`. */
export function everyBox(leaf: string): string {
  return `${ROOT}/+/${leaf}`;
}

export interface BoxTopics {
  base: string;
  presence: string;
  state: string;
  telemetry: string;
  desired: string;
  /** The commissioning report the technician's page publishes (retained). */
  commissioning: string;
  /** Subscription filter for this box's commands. */
  cmd: string;
  /** Where replies go when a command carries no response topic. */
  reply(name: string): string;
  event(name: string): string;
}

export function boxTopics(boxId: string): BoxTopics {
  const base = `${ROOT}/${boxId}`;
  return {
    base,
    presence: `${base}/presence`,
    state: `${base}/state`,
    telemetry: `${base}/telemetry`,
    desired: `${base}/config/desired`,
    commissioning: `${base}/commissioning`,
    cmd: `${base}/cmd/+`,
    reply: (name) => `${base}/reply/${name}`,
    event: (name) => `${base}/event/${name}`,
  };
}

/** Subscription filter for a group's commands: one publish reaches every hall in the group. */
export function groupCmdFilter(group: string): string {
  return `${ROOT}/group/${group}/cmd/+`;
}

export function groupCmdTopic(group: string, name: string): string {
  return `${ROOT}/group/${group}/cmd/${name}`;
}

export interface CmdTopic {
  scope: 'box' | 'group';
  /** Box id or group name. */
  target: string;
  name: string;
}

/** Parses `diemcau/v1/<box>/cmd/<name>` and `diemcau/v1/group/<g>/cmd/<name>`; null for anything else. */
export function parseCmdTopic(topic: string): CmdTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== 'diemcau' || parts[1] !== 'v1') return null;
  if (parts.length === 5 && parts[3] === 'cmd') return { scope: 'box', target: parts[2], name: parts[4] };
  if (parts.length === 6 && parts[2] === 'group' && parts[4] === 'cmd') {
    return { scope: 'group', target: parts[3], name: parts[5] };
  }
  return null;
}

/** A factory box asks for its identity on `req` and reads the answer on `res` (agent/claim.ts). */
export function claimTopics(serial: string): { req: string; res: string } {
  return { req: `${ROOT}/claim/${serial}/req`, res: `${ROOT}/claim/${serial}/res` };
}

/** The claim service's subscription: every factory box's request. */
export const CLAIM_REQUESTS = `${ROOT}/claim/+/req`;

/** The tree a box may publish a command's reply to: `reply/#` of BOX_WRITES, which the carrier's ACL allows. */
export function replyTree(boxId: string): string {
  return `${ROOT}/${boxId}/reply/`;
}

/**
 * Why `topic`, a command's MQTT 5 response topic, cannot carry this box's reply; null when it can. The caller chooses
 * it, so it is checked before the box publishes there: a wildcard in a PUBLISH is a protocol error for which the
 * broker drops the box's link (Mosquitto: DISCONNECT 0x82), characters the broker's UTF-8 check refuses make the
 * packet malformed, and a topic outside the box's reply tree is dropped by the carrier's ACL without a word.
 */
export function responseTopicFault(boxId: string, topic: string): string | null {
  if (topic.length === 0) return 'is empty';
  if (topic.includes('+') || topic.includes('#')) return 'has a wildcard (+ or #), which a PUBLISH topic cannot have';
  if (Buffer.byteLength(topic) > 65535) return 'is longer than the 65,535 bytes of an MQTT topic';
  for (const ch of topic) {
    const cp = ch.codePointAt(0)!;
    // U+FFFD stands for bytes that were not UTF-8 when the topic was decoded; lone surrogates cannot be encoded.
    if (cp === 0xfffd || (cp >= 0xd800 && cp <= 0xdfff)) return 'is not valid UTF-8';
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 'has a control character';
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'has a Unicode non-character';
  }
  const tree = replyTree(boxId);
  if (!topic.startsWith(tree)) return "is outside this box's reply tree";
  if (topic.slice(tree.length).split('/').includes('')) return 'has an empty level';
  return null;
}
