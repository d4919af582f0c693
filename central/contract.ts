// The names the console speaks to halls with, read from the contract in core/ (core/commands/meeting.ts), and the
// kind of a group.
import { meetingCommands, ROLLCALL_CONFIRM_MAX_S } from '../core/commands/meeting.js';
import type { GroupKind } from './wire.js';

export const FLOOR_GRANT = meetingCommands.floorGrant.name;
export const FLOOR_REVOKE = meetingCommands.floorRevoke.name;
export const ROLLCALL = meetingCommands.rollcall.name;
export { ROLLCALL_CONFIRM_MAX_S };

export type { GroupKind };
/** The kind of a group, from its prefix: `p-` province, `c-` commune, anything else other. */
export function groupKind(group: string): GroupKind {
  return group.startsWith('p-') ? 'province' : group.startsWith('c-') ? 'commune' : 'other';
}
