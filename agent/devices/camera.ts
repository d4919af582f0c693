// The camera as the agent sees it: a Device (agent/devices/device.ts) with commands camera.* over the VISCA driver. With
// `simulate`, a simulated camera sits behind a real socat pty pair (or a loopback UDP socket), so the agent's demo runs
// the real driver code; `camera.sim-unplug` then pulls the line for a while, as a person pulling a USB adapter would.
import { EventEmitter } from 'node:events';
import type { Device } from './device.js';
import type { Health } from '../../core/health.js';
import { command, type CommandSpec } from '../../core/commands/define.js';
import { ConfigError, DiemcauError, DisconnectedError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { BytePort } from '../../drivers/port.js';
import { SerialBytePort } from '../../drivers/serial-port.js';
import { UdpBytePort } from '../../drivers/udp-port.js';
import type { CameraConfig } from '../../core/config/camera.js';
import { ViscaCamera } from '../../drivers/camera/visca-camera.js';
import { SerialSimHost, UdpSimHost, type SimHost } from '../../drivers/camera/visca-sim-host.js';
import { cameraCommands, DRIVE_SPEED, PAN_SPEED_MAX } from '../../core/commands/camera.js';
import { VISCA_IP_PORT } from '../../drivers/camera/visca-ip.js';

const ANSWER_MS = 1000;
const COMPLETION_MS = 3000;
const MOVE_COMPLETION_MS = 20000;
/** A command's own deadline lies past the driver's, so the caller gets the driver's precise error first. */
const SLACK_MS = 2000;

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
        // No socat on this machine, say: the simulated camera is broken; the agent runs on and tries again later.
        const message = `camera: simulated camera did not start: ${(err as Error).message}`;
        this.log.error('simulated camera did not start', { err });
        this.startError = { status: 'error', code: 'internal', message, since: Date.now() };
        await this.host.stop().catch(() => {}); // its pty directory
        this.host = null;
        this.emit('change');
        throw new DiemcauError('internal', message);
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
    const c = cameraCommands;
    const move = ANSWER_MS + MOVE_COMPLETION_MS + SLACK_MS;
    const specs: CommandSpec[] = [
      command(c.power, ANSWER_MS + 15000 + SLACK_MS, async (a) => (await cam().power(a.on), await done())),
      command(c.move, move, async (a) => {
        if ('direction' in a) return (await cam().move(a.direction, a.speed ?? DRIVE_SPEED), await done(false));
        await cam().moveTo(a.pan, a.tilt, a.speed ?? PAN_SPEED_MAX, a.relative ?? false);
        return await done();
      }),
      command(c.stop, 2 * ANSWER_MS + COMPLETION_MS + SLACK_MS, async () => (await cam().stopMotion(), await done())),
      command(c.zoom, move, async (a) => {
        if ('position' in a) await cam().zoomTo(a.position);
        else return (await cam().zoom(a.direction, a.speed), await done(false));
        return await done();
      }),
      command(c.focus, ANSWER_MS + COMPLETION_MS + SLACK_MS, async (a) => (await cam().focus(a.mode), await done())),
      command(c.presetSet, move, async (a) => (await cam().presetSet(a.n), await done())),
      command(c.presetRecall, move, async (a) => (await cam().presetRecall(a.n), await done())),
      command(c.home, move, async () => (await cam().home(), await done())),
    ];
    if (this.cfg.simulate) {
      specs.push(
        command(c.simUnplug, 10000, async (a) => {
          const host = this.host;
          if (!host) throw new DisconnectedError('camera: not started');
          await host.unplug();
          if (this.replugTimer) clearTimeout(this.replugTimer);
          this.replugTimer = setTimeout(() => {
            this.replugTimer = null;
            host.plug().catch((err: unknown) => this.log.error('simulated camera did not come back', { err }));
          }, a.seconds * 1000);
          return { unplugged: true, backInSeconds: a.seconds };
        }),
      );
    }
    return specs;
  }
}

export function createCameraDevice(cfg: CameraConfig, log: Logger): Device {
  return new CameraDevice(cfg, log);
}
