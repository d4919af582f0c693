// The meeting's commands from the centre's console: give a hall the floor (or call on it), take the floor back, and
// the roll call. The agent binds them in agent/meeting.ts; docs/mqtt.md ("Meeting") says what each does.
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

/** Longest presence confirmation a roll call may ask for. */
export const ROLLCALL_CONFIRM_MAX_S = 300;

/** A roll call's id, as the console made it: echoed in the answer, the event and `state.hall.rollcall`. */
export const RollcallId = Type.Union(
  [Type.String({ minLength: 1, maxLength: 64 }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })],
  { description: "The console's roll call id (a string of 1-64 characters or a whole number ≥ 0)." },
);

export const meetingCommands = {
  floorGrant: defineCommand({
    name: 'floor.grant',
    summary:
      "Give this hall the floor: mic unmuted, tally on air, the hall's TV says so. `called`: the centre calls on a hall " +
      'that did not ask; its staff may decline with the mute button. Refused outside a meeting.',
    schema: Type.Object(
      { called: Type.Optional(Type.Boolean({ description: 'The centre calls on the hall (it did not ask); mute declines.' })) },
      { additionalProperties: false },
    ),
  }),
  floorRevoke: defineCommand({
    name: 'floor.revoke',
    summary: 'Take the floor back (or drop the request): mic muted, tally back to the hall state.',
    schema: Type.Object({}, { additionalProperties: false }),
  }),
  rollcall: defineCommand({
    name: 'rollcall',
    summary:
      'Answers at once whether the centre hears and sees this hall. With `confirmS` > 0 the hall is asked to press ' +
      'talk within that many seconds (tally flashing, the TV says so); the press publishes event/rollcall.',
    schema: Type.Object(
      {
        id: RollcallId,
        confirmS: Type.Optional(
          Type.Integer({ minimum: 0, maximum: ROLLCALL_CONFIRM_MAX_S, description: 'Seconds the staff have to press talk (0: no confirmation).' }),
        ),
      },
      { additionalProperties: false },
    ),
  }),
};
