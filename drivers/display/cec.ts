// HDMI-CEC through `cec-ctl` (v4l-utils). The box is a CEC Playback device; the TV is logical address 0.
// Commands per cec-ctl(1): wake `--to 0 --image-view-on`, standby `--to 0 --standby`, switch the TV to us
// `--active-source phys-addr=<ours>`, power query `--to 0 --give-device-power-status`. Output is parsed by
// cec-output.ts; nothing is inferred from an exit code alone.
import { execFile } from 'node:child_process';
import { BadRequestError, DeviceRefusedError, DeviceTimeoutError, DisconnectedError } from '../../core/errors.js';
import type { DisplayDriver, DisplayState } from './display-driver.js';
import { cecAbortReason, cecPowerState, parseCecOutput, parsePhysicalAddress, type CecOutcome } from './cec-output.js';

export interface CecRunResult {
  code: number;
  stdout: string;
  stderr: string;
}
export type CecRunner = (args: string[]) => Promise<CecRunResult>;

/** Runs the real cec-ctl; a missing binary reads as a missing device (v4l-utils not installed). */
export function cecCtlRunner(bin = 'cec-ctl', timeoutMs = 5000): CecRunner {
  return (args) =>
    new Promise((resolve) => {
      execFile(bin, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && e.code === 'ENOENT') {
          resolve({ code: 127, stdout: '', stderr: `Failed to open ${bin}: not installed (apt install v4l-utils)` });
          return;
        }
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: stdout ?? '', stderr: stderr ?? '' });
      });
    });
}

export class CecDriver implements DisplayDriver {
  readonly protocol = 'cec';
  /** CEC cannot pick an input by name: `--active-source` makes the TV show the box's own HDMI input. */
  readonly inputs: readonly string[] = [];
  private readonly who: string;
  private physAddr: string | null = null;

  constructor(
    private readonly device: string,
    private readonly run: CecRunner = cecCtlRunner(),
  ) {
    this.who = `display (cec) ${device}`;
  }

  /** Claims a Playback logical address; throws DisconnectedError naming the device when it is absent. */
  async start(): Promise<void> {
    await this.exec(['-d', this.device, '--playback', '--osd-name', 'diemcau'], 'configure');
    const info = await this.run(['-d', this.device]);
    this.check(parseCecOutput(info.stdout, info.stderr, info.code), 'adapter info');
    this.physAddr = parsePhysicalAddress(info.stdout);
  }

  async stop(): Promise<void> {}

  async setPower(on: boolean): Promise<void> {
    await this.transmit(['--to', '0', on ? '--image-view-on' : '--standby'], on ? 'IMAGE_VIEW_ON' : 'STANDBY');
  }

  async setInput(_input: string): Promise<void> {
    if (!this.physAddr || this.physAddr === 'f.f.f.f') {
      throw new DisconnectedError(`${this.who}: no physical address (HDMI cable out, or the TV gave none), cannot claim active source`);
    }
    await this.transmit(['--active-source', `phys-addr=${this.physAddr}`], 'ACTIVE_SOURCE');
  }

  async setVolume(_level: number): Promise<void> {
    throw new BadRequestError(`${this.who}: absolute volume is not part of HDMI-CEC 1.4; use a serial protocol`);
  }

  async setMute(_on: boolean): Promise<void> {
    throw new BadRequestError(`${this.who}: mute state cannot be set over HDMI-CEC (only toggled); use a serial protocol`);
  }

  async query(): Promise<DisplayState> {
    const out = await this.transmit(['--to', '0', '--give-device-power-status'], 'GIVE_DEVICE_POWER_STATUS');
    const p = cecPowerState(out.reply);
    if (!p) throw new DeviceTimeoutError(`${this.who}: no REPORT_POWER_STATUS in reply to GIVE_DEVICE_POWER_STATUS`);
    return { power: p === 'on' || p === 'to-on' ? 'on' : 'off', input: null, volume: null, mute: null };
  }

  private async transmit(args: string[], what: string): Promise<Extract<CecOutcome, { kind: 'sent' }>> {
    const out = await this.exec(['-d', this.device, '-s', ...args], what);
    if (out.kind !== 'sent') {
      throw new DisconnectedError(`${this.who}: ${what} not sent: the adapter has no logical address (HDMI unplugged?)`);
    }
    const abort = cecAbortReason(out.reply);
    if (abort) throw new DeviceRefusedError(`${this.who}: TV refused ${what} (FEATURE_ABORT ${abort})`, `cec:${abort}`);
    if (!out.ok) throw new DeviceTimeoutError(`${this.who}: ${what}: ${out.status}`, { command: what, status: out.status });
    return out;
  }

  private async exec(args: string[], what: string): Promise<CecOutcome> {
    const r = await this.run(args);
    const out = parseCecOutput(r.stdout, r.stderr, r.code);
    this.check(out, what);
    return out;
  }

  private check(out: CecOutcome, what: string): void {
    if (out.kind === 'missing') throw new DisconnectedError(`${this.who}: missing: cannot open ${out.device}: ${out.reason}`, { port: out.device });
    if (out.kind === 'failed') throw new DisconnectedError(`${this.who}: ${what}: cec-ctl failed: ${out.message}`);
  }
}
