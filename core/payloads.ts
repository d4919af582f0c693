// What a box publishes, as schemas (docs/mqtt.md): presence, the reported state and its sections, telemetry, command
// replies, and the events people cause (`event/floor`, `event/rollcall`). The agent builds every one of these
// payloads with the types below, and the central console validates what it receives against the same schemas.
//
// The schemas are open (unknown fields allowed) where a newer agent may add fields, so that a console validates a
// fleet that is being updated; optional where an older agent leaves a field out (noted at the field).
import { Type, type Static } from './schema/type.js';
import { RollcallId } from './commands/meeting.js';

const Iso = (what: string) => Type.String({ minLength: 1, description: `${what} (ISO 8601).` });
const EpochMs = (what: string) => Type.Number({ description: `${what} (ms since the epoch).` });

export const Presence = Type.Object({
  state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  box: Type.String({ minLength: 1 }),
  version: Type.String(),
  reason: Type.Optional(
    Type.Union([Type.Literal('lost'), Type.Literal('stopped')], { description: '`lost`: the Last Will; `stopped`: a clean stop.' }),
  ),
  ts: Iso('When the box sent it'),
});
export type Presence = Static<typeof Presence>;

// --- state sections ----------------------------------------------------------------------------------------------

export const AgentSection = Type.Object({
  version: Type.String(),
  startedAt: Iso('Agent start'),
  pid: Type.Integer(),
});

export const FloorStatus = Type.Union([Type.Literal('requested'), Type.Literal('granted'), Type.Literal('called'), Type.Literal('declined')]);
export type FloorStatus = Static<typeof FloorStatus>;
/** The hall's floor: null when it neither asked nor holds it. */
export const HallFloor = Type.Union([Type.Null(), Type.Object({ status: FloorStatus, since: Iso('Status since') })]);
export type HallFloor = Static<typeof HallFloor>;
/** The last roll call that asked this hall to confirm: null before any; `confirmedAt` once the staff pressed talk. */
export const HallRollcall = Type.Union([Type.Null(), Type.Object({ id: RollcallId, confirmedAt: Type.Optional(Iso('Talk pressed')) })]);
export type HallRollcall = Static<typeof HallRollcall>;

export const HallSection = Type.Object({
  name: Type.String(),
  groups: Type.Array(Type.String()),
  /** Absent from agents before the console's meeting features (read it as null). */
  floor: Type.Optional(HallFloor),
  rollcall: Type.Optional(HallRollcall),
});

export const ConfigSection = Type.Object({
  version: Type.Integer(),
  /** applied: everything runs; partial: saved and running, but these steps failed and are being retried;
   *  refused: nothing changed (the running config stays). */
  status: Type.Union([Type.Literal('applied'), Type.Literal('partial'), Type.Literal('refused')]),
  refused: Type.Optional(
    Type.Object({
      version: Type.Union([Type.Integer(), Type.Null()]),
      code: Type.String(),
      message: Type.String(),
      errors: Type.Optional(Type.Array(Type.String())),
    }),
  ),
  failed: Type.Optional(
    Type.Array(Type.Object({ step: Type.String(), code: Type.String(), message: Type.String(), since: EpochMs('Failing') })),
  ),
});

export const NetworkSection = Type.Object({
  connected: Type.Boolean(),
  broker: Type.Union([Type.String(), Type.Null()]),
  connects: Type.Integer({ minimum: 0 }),
  lastDrop: Type.Union([
    Type.Null(),
    Type.Object({ cause: Type.Union([Type.Literal('link'), Type.Literal('mass')]), reason: Type.String(), at: EpochMs('Dropped') }),
  ]),
});

export const HealthStatus = Type.Union(
  (['starting', 'ok', 'missing', 'not answering', 'error', 'stopped'] as const).map((s) => Type.Literal(s)),
);
export const DeviceHealth = Type.Object({
  status: HealthStatus,
  code: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  since: EpochMs('Status since'),
});
/** One device in `state.devices`: its kind and health, then what the device reports (panel: hallState, leds...). */
export const DeviceSection = Type.Object({ kind: Type.String(), health: DeviceHealth });
export const DevicesSection = Type.Record(Type.String(), DeviceSection);

export const MediaStatus = Type.Union(
  (['idle', 'joining', 'joined', 'recovering', 'failed'] as const).map((s) => Type.Literal(s)),
);
const OptNumber = () => Type.Optional(Type.Number());
export const MediaStats = Type.Object({
  bitrateKbps: OptNumber(),
  fps: OptNumber(),
  width: OptNumber(),
  height: OptNumber(),
  lossPct: OptNumber(),
  jitterMs: OptNumber(),
  rttMs: OptNumber(),
  framesDropped: OptNumber(),
});
export const MediaSection = Type.Object({
  status: MediaStatus,
  room: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
  /** The bridge receives our video (frames acknowledged by RTCP). */
  seen: Type.Boolean(),
  /** The bridge receives our audio (RTCP receiver reports with packets advancing, mic level > 0). */
  heard: Type.Boolean(),
  muted: Type.Boolean(),
  audioOnly: Type.Boolean(),
  stats: Type.Optional(MediaStats),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

/** The retained `state`: every section, as the agent publishes them. `media` only when the media path is enabled. */
export const State = Type.Object({
  agent: AgentSection,
  hall: HallSection,
  config: ConfigSection,
  network: NetworkSection,
  devices: DevicesSection,
  media: Type.Optional(MediaSection),
  ts: Iso('When the box sent it'),
});
export type State = Static<typeof State>;
/** Each section's type, for the agent's ReportedState. */
export type StateSections = Omit<Required<State>, 'ts'>;

// --- telemetry, replies, events ------------------------------------------------------------------------------------

/** What a long-running process must not accumulate (agent/process-health.ts). */
export const ProcessHealth = Type.Object({
  rssMb: Type.Number(),
  heapMb: Type.Number({ description: 'V8 heap in use.' }),
  handles: Type.Integer({ description: 'Active libuv handles and requests (process.getActiveResourcesInfo).' }),
  fds: Type.Union([Type.Integer(), Type.Null()], { description: 'Open file descriptors; null where /proc is not there.' }),
  loopDelayMs: Type.Object(
    { p50: Type.Number(), p99: Type.Number(), max: Type.Number() },
    { description: 'How late the event loop ran its timers since the previous reading.' },
  ),
});
export type ProcessHealth = Static<typeof ProcessHealth>;

export const Telemetry = Type.Object({
  ts: Iso('Read at'),
  cpuPct: Type.Union([Type.Number(), Type.Null()], { description: 'null on the first reading.' }),
  loadavg: Type.Array(Type.Number()),
  memTotalMb: Type.Number(),
  memFreeMb: Type.Number(),
  rssMb: Type.Number(),
  tempC: Type.Union([Type.Number(), Type.Null()], { description: 'SoC temperature; null where the OS does not expose it.' }),
  link: Type.Union([
    Type.Null(),
    Type.Object({ iface: Type.String(), up: Type.Boolean(), speedMbps: Type.Union([Type.Number(), Type.Null()]) }),
  ]),
  uptimeS: Type.Number(),
  process: Type.Optional(ProcessHealth),
  mediaWorker: Type.Optional(
    Type.Union([Type.Null(), ProcessHealth], { description: "The media worker's own reading (null: no worker runs or none reported yet)." }),
  ),
});
export type Telemetry = Static<typeof Telemetry>;

export const CommandError = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) });
/** A reply on the response topic, or on `diemcau/v1/<box>/reply/<cmd>` when the command named none. */
export const CommandReply = Type.Object({
  box: Type.String(),
  cmd: Type.String(),
  ok: Type.Boolean(),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(CommandError),
  ms: Type.Number({ minimum: 0 }),
});
export type CommandReply = Static<typeof CommandReply>;

/** `event/floor`: the talk button asked for the floor, or the staff declined a call with the mute button. */
export const FloorEvent = Type.Object({
  box: Type.String(),
  hall: Type.String({ description: 'The hall name.' }),
  ts: Iso('Pressed'),
  action: Type.Optional(
    Type.Union([Type.Literal('requested'), Type.Literal('declined')], { description: 'Absent from older agents: a request.' }),
  ),
});
export type FloorEvent = Static<typeof FloorEvent>;

/** `event/rollcall`: the staff confirmed presence by pressing talk within the roll call's window. */
export const RollcallEvent = Type.Object({ box: Type.String(), id: RollcallId, ts: Iso('Pressed') });
export type RollcallEvent = Static<typeof RollcallEvent>;

/** The `rollcall` command's result: the hall's heard-at-centre proof at the moment it answered. */
export const RollcallAnswer = Type.Object({
  id: RollcallId,
  heard: Type.Boolean(),
  seen: Type.Boolean(),
  media: Type.Object({ status: MediaStatus, stats: Type.Optional(MediaStats) }),
  at: Iso('Answered'),
});
export type RollcallAnswer = Static<typeof RollcallAnswer>;

/** The result of `floor.grant` and `floor.revoke`. */
export const FloorAnswer = Type.Object({ floor: HallFloor, muted: Type.Boolean() });
export type FloorAnswer = Static<typeof FloorAnswer>;

// --- the camera snapshot and the commissioning report ---------------------------------------------------------------

/** The `camera.snapshot` result (and the technician page's picture): a JPEG of what the camera sees. */
export const SnapshotAnswer = Type.Object({
  jpeg: Type.String({ description: 'The JPEG, base64 (at most 60 kB before encoding).' }),
  width: Type.Integer(),
  height: Type.Integer(),
  bytes: Type.Integer({ minimum: 1 }),
  at: Iso('Taken'),
});
export type SnapshotAnswer = Static<typeof SnapshotAnswer>;

/** The technician page's selftest: did the centre's bridge hear this hall (the `selftest` command's figures). */
export const SelftestSummary = Type.Object({
  received: Type.Boolean(),
  lossPct: Type.Number(),
  rttMs: Type.Union([Type.Number(), Type.Null()]),
  jitterMs: Type.Union([Type.Number(), Type.Null()]),
  packetsSent: Type.Integer(),
  at: Iso('Run'),
  bridge: Type.String(),
});
export type SelftestSummary = Static<typeof SelftestSummary>;

/**
 * `diemcau/v1/<box>/commissioning` (retained, QoS 1): what the technician saw when they pressed "done" on the box's
 * page; `diemcau-provision report BOXID` shows it.
 */
export const CommissioningReport = Type.Object({
  box: Type.String(),
  serial: Type.Union([Type.String(), Type.Null()], { description: 'The factory serial, when the box claimed with one.' }),
  hall: Type.String({ description: 'The hall name.' }),
  technician: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 100, description: 'As the technician typed it.' }),
    address: Type.String({ description: "The phone's address on the hall LAN." }),
  }),
  at: Iso('Done pressed'),
  version: Type.String({ description: 'Agent version.' }),
  devices: Type.Record(Type.String(), Type.Object({ kind: Type.String(), health: DeviceHealth })),
  network: Type.Object({
    address: Type.Union([Type.String(), Type.Null()]),
    gateway: Type.Union([Type.String(), Type.Null()]),
    dns: Type.Array(Type.String()),
    brokerReachable: Type.Boolean(),
    clockSynced: Type.Union([Type.Boolean(), Type.Null()], { description: 'null: the box cannot tell.' }),
  }),
  selftest: Type.Union([Type.Null(), SelftestSummary]),
  snapshot: Type.Union([Type.Null(), SnapshotAnswer]),
  notes: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type CommissioningReport = Static<typeof CommissioningReport>;
