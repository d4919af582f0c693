// The camera's commands (`camera.*`). Positions and speeds are in VISCA units, the camera's own: the numbers below
// are VISCA's ranges, and drivers/camera/visca-protocol.ts encodes with the same ones.
import { Type } from '../schema/type.js';
import { defineCommand } from './define.js';

export type Direction = 'up' | 'down' | 'left' | 'right' | 'up-left' | 'up-right' | 'down-left' | 'down-right' | 'stop';
export const DIRECTIONS: readonly Direction[] = ['up', 'down', 'left', 'right', 'up-left', 'up-right', 'down-left', 'down-right', 'stop'];
/** [X400] pan speed 01-18h, tilt speed 01-17h. */
export const PAN_SPEED_MAX = 0x18;
export const TILT_SPEED_MAX = 0x17;
/** [D70] CAM_Zoom variable speed p = 0 (low) .. 7 (high); Direct position 0000h (wide) .. 4000h (tele). */
export const ZOOM_SPEED_MAX = 7;
export const ZOOM_MAX = 0x4000;
/** CAM_Memory number: [D70] allows 0-5, later models [X400] 0-255 (00-FFh); we drive 0-15, which all but the oldest accept. */
export const PRESET_MAX = 15;
/** Drive speed when a direction move names none. */
export const DRIVE_SPEED = 8;

const Speed = (dflt: number) =>
  Type.Integer({ minimum: 1, maximum: PAN_SPEED_MAX, default: dflt, description: `VISCA pan speed 1 (slow) .. 24 (fast); ${dflt} when left out.` });
const Position = (what: string) => Type.Integer({ minimum: -0x8000, maximum: 0x7fff, description: `${what} in VISCA position units.` });
const Preset = Type.Object(
  { n: Type.Integer({ minimum: 0, maximum: PRESET_MAX, description: `Preset number 0..${PRESET_MAX}.` }) },
  { additionalProperties: false },
);
const Empty = Type.Object({}, { additionalProperties: false });

export const MoveArgs = Type.Union([
  Type.Object(
    { direction: Type.Union(DIRECTIONS.map((d) => Type.Literal(d))), speed: Type.Optional(Speed(DRIVE_SPEED)) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      pan: Position('Pan'),
      tilt: Position('Tilt'),
      speed: Type.Optional(Speed(PAN_SPEED_MAX)),
      relative: Type.Optional(Type.Boolean({ default: false, description: 'Move by pan/tilt instead of to it.' })),
    },
    { additionalProperties: false },
  ),
]);
export const ZoomArgs = Type.Union([
  Type.Object(
    {
      direction: Type.Union([Type.Literal('tele'), Type.Literal('wide'), Type.Literal('stop')]),
      speed: Type.Optional(Type.Integer({ minimum: 0, maximum: ZOOM_SPEED_MAX, description: 'Zoom speed 0 (slow) .. 7 (fast).' })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ position: Type.Integer({ minimum: 0, maximum: ZOOM_MAX, description: 'Zoom position 0 (wide) .. 16384 (tele).' }) }, { additionalProperties: false }),
]);

export const cameraCommands = {
  power: defineCommand({
    name: 'camera.power',
    summary: 'Switch the camera on or to standby.',
    schema: Type.Object({ on: Type.Boolean({ description: 'true: on, false: standby.' }) }, { additionalProperties: false }),
  }),
  move: defineCommand({
    name: 'camera.move',
    summary: 'Drive pan/tilt in a direction until camera.stop, or move to (or by) a pan/tilt position.',
    schema: MoveArgs,
  }),
  stop: defineCommand({ name: 'camera.stop', summary: 'Stop pan, tilt and zoom now (goes ahead of any queued command).', schema: Empty }),
  zoom: defineCommand({ name: 'camera.zoom', summary: 'Zoom tele/wide until stop, or to a position.', schema: ZoomArgs }),
  focus: defineCommand({
    name: 'camera.focus',
    summary: 'Auto or manual focus.',
    schema: Type.Object({ mode: Type.Union([Type.Literal('auto'), Type.Literal('manual')]) }, { additionalProperties: false }),
  }),
  presetSet: defineCommand({ name: 'camera.preset.set', summary: 'Store the current position as preset n.', schema: Preset }),
  presetRecall: defineCommand({
    name: 'camera.preset.recall',
    summary: 'Move to preset n; answers when the camera reports it is there.',
    schema: Preset,
  }),
  home: defineCommand({ name: 'camera.home', summary: 'Move pan/tilt to the home position.', schema: Empty }),
  simUnplug: defineCommand({
    name: 'camera.sim-unplug',
    summary: 'Simulation only: pull the camera line (kill socat) and put it back after `seconds`.',
    schema: Type.Object(
      { seconds: Type.Number({ minimum: 0, maximum: 600, description: 'How long the line stays pulled.' }) },
      { additionalProperties: false },
    ),
  }),
};
