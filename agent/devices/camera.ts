// The camera as the agent sees it: a Device (agent/device.ts) with commands camera.* over the VISCA driver. With
// `simulate`, a simulated camera sits behind a real socat pty pair (or a loopback UDP socket), so the agent's demo runs
// the real driver code; `camera.sim-unplug` then pulls the line for a while, as a person pulling a USB adapter would.
import { EventEmitter } from 'node:events';
import { Type, type Static, type TSchema } from '../../core/schema/type.js';
import type { Device, Health } from './device.js';
import { command, type CommandSpec } from '../../core/command.js';
import { ConfigError, DisconnectedError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { BytePort } from '../../drivers/port.js';
import { SerialBytePort } from '../../drivers/serial-port.js';
import { UdpBytePort } from '../../drivers/udp-port.js';
import type { CameraConfig } from '../../core/config/camera.js';
import { ViscaCamera } from '../../drivers/camera/visca-camera.js';
import { SerialSimHost, UdpSimHost, type SimHost } from '../../drivers/camera/visca-sim-host.js';
import { DIRECTIONS, PAN_SPEED_MAX, PRESET_MAX, ZOOM_MAX, ZOOM_SPEED_MAX } from '../../drivers/camera/visca-protocol.js';
import { VISCA_IP_PORT } from '../../drivers/camera/visca-ip.js';

const ANSWER_MS = 1000;
const COMPLETION_MS = 3000;
const MOVE_COMPLETION_MS = 20000;
/** A command's own deadline lies past the driver's, so the caller gets the driver's precise error first. */
const SLACK_MS = 2000;

const Speed = (dflt: number) =>
  Type.Integer({ minimum: 1, maximum: PAN_SPEED_MAX, default: dflt, description: `VISCA pan speed 1 (slow) .. 24 (fast); ${dflt} when left out.` });
const DRIVE_SPEED = 8;
const Position = (what: string) => Type.Integer({ minimum: -0x8000, maximum: 0x7fff, description: `${what} in VISCA position units.` });
const Preset = Type.Object(
  { n: Type.Integer({ minimum: 0, maximum: PRESET_MAX, description: `Preset number 0..${PRESET_MAX}.` }) },
  { additionalProperties: false },
);
const Empty = Type.Object({}, { additionalProperties: false });
export const PowerArgs = Type.Object({ on: Type.Boolean({ description: 'true: on, false: standby.' }) }, { additionalProperties: false });
export const FocusArgs = Type.Object({ mode: Type.Union([Type.Literal('auto'), Type.Literal('manual')]) }, { additionalProperties: false });
export const UnplugArgs = Type.Object(
  { seconds: Type.Number({ minimum: 0, maximum: 600, description: 'How long the line stays pulled.' }) },
  { additionalProperties: false },
);

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

/** `host:port` (port defaults to 52381) for VISCA over IP. */
function parseUdpTarget(s: string): { host: string; port: number } {
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(s);
  const port = m ? Number(m[2] ?? VISCA_IP_PORT) : NaN;
  if (!m || port < 1 || port > 65535) throw new ConfigError('devices.camera', [`devices.camera.port: '${s}' is not host:port for udp`]);
  return { host: m[1], port };
}

class CameraDevice extends EventEmitter implements Device {
  readonly id = 'camera';
  readonly kind = 'camera';
  private readonly cfg: CameraConfig;
  private readonly log: Logger;
  private host: SimHost | null = null;
  private camera: ViscaCamera | null = null;
  private replugTimer: NodeJS.Timeout | null = null;
  private startError: Health | null = null;

  constructor(cfg: CameraConfig, log: Logger) {
    super();
    this.cfg = cfg;
    this.log = log.child({ device: 'camera' });
    // A udp target that is not host[:port] is a config error: say so when the device is built, not later.
    if (cfg.transport === 'udp' && !cfg.simulate) parseUdpTarget(cfg.port);
  }

  async start(): Promise<void> {
    if (this.camera) return;
    const udp = this.cfg.transport === 'udp';
    let target = this.cfg.port;
    if (this.cfg.simulate) {
      this.host = udp ? new UdpSimHost() : new SerialSimHost();
      try {
        await this.host.start();
      } catch (err) {
        // No socat on this machine, say: the simulated camera is broken, the agent runs on.
        const message = `camera: simulated camera did not start: ${(err as Error).message}`;
        this.log.error('simulated camera did not start', { err });
        this.startError = { status: 'error', code: 'internal', message, since: Date.now() };
        this.host = null;
        this.emit('change');
        return;
      }
      target = this.host.target;
      this.log.info('simulated camera started', { transport: this.cfg.transport, target });
    }
    let port: BytePort;
    // The simulated camera answers any sender, and a fixed local port would clash between halls on one machine.
    const localPort = this.cfg.simulate ? 0 : this.cfg.localPort;
    if (udp) port = new UdpBytePort({ ...parseUdpTarget(target), localPort, label: 'camera port' });
    else port = new SerialBytePort({ path: target, baudRate: this.cfg.baudRate, label: 'camera port' });
    this.camera = new ViscaCamera({
      port,
      transport: this.cfg.transport,
      address: this.cfg.address,
      log: this.log,
      answerMs: ANSWER_MS,
      completionMs: COMPLETION_MS,
      moveCompletionMs: MOVE_COMPLETION_MS,
    });
    this.camera.on('change', () => this.emit('change'));
    await this.camera.start();
  }

  async stop(): Promise<void> {
    if (this.replugTimer) clearTimeout(this.replugTimer);
    this.replugTimer = null;
    await this.camera?.stop();
    this.camera = null;
    await this.host?.stop();
    this.host = null;
  }

  health(): Health {
    return this.camera?.health() ?? this.startError ?? { status: 'stopped', since: Date.now() };
  }

  report(): Record<string, unknown> {
    return { ...(this.camera?.report() ?? {}) };
  }

  commands(): CommandSpec[] {
    const cam = () => {
      if (!this.camera) throw new DisconnectedError('camera: not started');
      return this.camera;
    };
    // After Completion, read the head back so the answer says where it really is, not where it was last polled.
    // A drive (move in a direction, zoom tele/wide) keeps going until stop: its answer is the state as tracked.
    const done = async (readBack = true) => {
      if (readBack) await cam().readBack().catch((err) => this.log.debug('read-back after command failed', { err }));
      return { completed: true, state: this.report() };
    };
    const specs: CommandSpec[] = [];
    const add = <S extends TSchema>(spec: CommandSpec<S>) => specs.push(spec as unknown as CommandSpec);
    add(command({
      name: 'camera.power',
      summary: 'Switch the camera on or to standby.',
      schema: PowerArgs,
      timeoutMs: ANSWER_MS + 15000 + SLACK_MS,
      run: async (a: Static<typeof PowerArgs>) => (await cam().power(a.on), await done()),
    }));
    add(command({
      name: 'camera.move',
      summary: 'Drive pan/tilt in a direction until camera.stop, or move to (or by) a pan/tilt position.',
      schema: MoveArgs,
      timeoutMs: ANSWER_MS + MOVE_COMPLETION_MS + SLACK_MS,
      run: async (a: Static<typeof MoveArgs>) => {
        if ('direction' in a) return (await cam().move(a.direction, a.speed ?? 8), await done(false));
        await cam().moveTo(a.pan, a.tilt, a.speed ?? PAN_SPEED_MAX, a.relative ?? false);
        return await done();
      },
    }));
    add(command({
      name: 'camera.stop',
      summary: 'Stop pan, tilt and zoom now (goes ahead of any queued command).',
      schema: Empty,
      timeoutMs: 2 * ANSWER_MS + COMPLETION_MS + SLACK_MS,
      run: async () => (await cam().stopMotion(), await done()),
    }));
    add(command({
      name: 'camera.zoom',
      summary: 'Zoom tele/wide until stop, or to a position.',
      schema: ZoomArgs,
      timeoutMs: ANSWER_MS + MOVE_COMPLETION_MS + SLACK_MS,
      run: async (a: Static<typeof ZoomArgs>) => {
        if ('position' in a) await cam().zoomTo(a.position);
        else return (await cam().zoom(a.direction, a.speed), await done(false));
        return await done();
      },
    }));
    add(command({
      name: 'camera.focus',
      summary: 'Auto or manual focus.',
      schema: FocusArgs,
      timeoutMs: ANSWER_MS + COMPLETION_MS + SLACK_MS,
      run: async (a: Static<typeof FocusArgs>) => (await cam().focus(a.mode), await done()),
    }));
    add(command({
      name: 'camera.preset.set',
      summary: 'Store the current position as preset n.',
      schema: Preset,
      timeoutMs: ANSWER_MS + MOVE_COMPLETION_MS + SLACK_MS,
      run: async (a: Static<typeof Preset>) => (await cam().presetSet(a.n), await done()),
    }));
    add(command({
      name: 'camera.preset.recall',
      summary: 'Move to preset n; answers when the camera reports it is there.',
      schema: Preset,
      timeoutMs: ANSWER_MS + MOVE_COMPLETION_MS + SLACK_MS,
      run: async (a: Static<typeof Preset>) => (await cam().presetRecall(a.n), await done()),
    }));
    add(command({
      name: 'camera.home',
      summary: 'Move pan/tilt to the home position.',
      schema: Empty,
      timeoutMs: ANSWER_MS + MOVE_COMPLETION_MS + SLACK_MS,
      run: async () => (await cam().home(), await done()),
    }));
    if (this.cfg.simulate) {
      add(
        command({
          name: 'camera.sim-unplug',
          summary: 'Simulation only: pull the camera line (kill socat) and put it back after `seconds`.',
          schema: UnplugArgs,
          timeoutMs: 10000,
          run: async (a: Static<typeof UnplugArgs>) => {
            const host = this.host;
            if (!host) throw new DisconnectedError('camera: not started');
            await host.unplug();
            if (this.replugTimer) clearTimeout(this.replugTimer);
            this.replugTimer = setTimeout(() => {
              this.replugTimer = null;
              host.plug().catch((err: unknown) => this.log.error('simulated camera did not come back', { err }));
            }, a.seconds * 1000);
            return { unplugged: true, backInSeconds: a.seconds };
          },
        }),
      );
    }
    return specs;
  }
}

export function createCameraDevice(cfg: CameraConfig, log: Logger): Device {
  return new CameraDevice(cfg, log);
}
