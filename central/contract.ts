// The names the console speaks to halls with, beyond what core/commands/ already holds on this branch. The meeting
// commands (floor.grant, floor.revoke, rollcall, agent.restart) and their payloads are being added to core/ by the
// agent side (core/commands/meeting.ts, core/payloads.ts); until that is merged the console names them here, as
// /work/notes/console-spec.md fixes them. After the merge these constants can be read from core/.
export const FLOOR_GRANT = 'floor.grant';
export const FLOOR_REVOKE = 'floor.revoke';
export const ROLLCALL = 'rollcall';
export const AGENT_RESTART = 'agent.restart';
/** `rollcall {confirmS}` upper bound (core/commands/meeting.ts ROLLCALL_CONFIRM_MAX_S on the agent side). */
export const ROLLCALL_CONFIRM_MAX_S = 300;

/** The kind of a group, from its prefix: `p-` province, `c-` commune, anything else other. */
export type GroupKind = 'province' | 'commune' | 'other';
export function groupKind(group: string): GroupKind {
  return group.startsWith('p-') ? 'province' : group.startsWith('c-') ? 'commune' : 'other';
}
