// LG RS-232C driver over a BytePort it is given. Every command waits for its `OK`; an `NG` becomes a
// DeviceRefusedError with the set's own data byte as code (`lg:NG00`, "illegal code").
import type { BytePort } from '../port.js';
import { BadRequestError, DeviceRefusedError } from '../../core/errors.js';
import type { DisplayDriver, DisplayState } from './display-driver.js';
import { RequestQueue } from './request-queue.js';
import { LG_INPUTS, LG_READ, LgCommand, LgReplyParser, encodeLgCommand, lgInputName, type LgReply } from './lg-protocol.js';

export interface LgOptions {
  /** Set ID from the set's menu (1-99; 0 reaches every set). */
  setId: number;
  timeoutMs?: number;
}

function hx(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export class LgDriver implements DisplayDriver {
  readonly protocol = 'lg';
  readonly inputs = Object.keys(LG_INPUTS);
  private readonly parser = new LgReplyParser();
  private readonly queue: RequestQueue<LgReply>;
  private readonly who: string;
  private readonly timeoutMs: number;
  private readonly onData = (chunk: Buffer) => {
    for (const r of this.parser.push(chunk)) this.queue.deliver(r);
  };

  constructor(
    private readonly port: BytePort,
    private readonly opts: LgOptions,
  ) {
    this.who = `display (lg set ${opts.setId}) ${port.name}`;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.queue = new RequestQueue<LgReply>((b) => this.port.write(b), this.who);
  }

  get droppedBytes(): number {
    return this.parser.dropped;
  }

  async start(): Promise<void> {
    this.queue.open();
    this.port.on('data', this.onData);
  }

  async stop(): Promise<void> {
    this.port.off('data', this.onData);
    this.queue.close('driver stopped');
  }

  async setPower(on: boolean): Promise<void> {
    await this.exchange(LgCommand.power, on ? 1 : 0, `power ${on ? 'on' : 'off'}`);
  }

  async setInput(input: string): Promise<void> {
    const code = LG_INPUTS[input];
    if (code === undefined) {
      throw new BadRequestError(`${this.who}: unknown input ${JSON.stringify(input)} (known: ${this.inputs.join(', ')})`);
    }
    await this.exchange(LgCommand.input, code, `input ${input}`);
  }

  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) {
      throw new BadRequestError(`${this.who}: volume must be an integer 0-100, got ${level}`);
    }
    await this.exchange(LgCommand.volume, level, `volume ${level}`);
  }

  async setMute(on: boolean): Promise<void> {
    // ke data is inverted: 00 = mute on (volume off), 01 = mute off (manual, "Volume Mute (Command: k e)").
    await this.exchange(LgCommand.mute, on ? 0 : 1, `mute ${on ? 'on' : 'off'}`);
  }

  async query(): Promise<DisplayState> {
    const power = await this.exchange(LgCommand.power, LG_READ, 'power query');
    if (power !== 1) return { power: 'off', input: null, volume: null, mute: null };
    const input = await this.exchange(LgCommand.input, LG_READ, 'input query');
    const volume = await this.exchange(LgCommand.volume, LG_READ, 'volume query');
    const mute = await this.exchange(LgCommand.mute, LG_READ, 'mute query');
    return { power: 'on', input: lgInputName(input), volume, mute: mute === 0 };
  }

  private async exchange(cmd: string, data: number, what: string): Promise<number> {
    const setId = this.opts.setId;
    const reply = await this.queue.request(
      what,
      encodeLgCommand(cmd, setId, data),
      // Set ID 0 is answered by each set with its own id. An OK to a write echoes the data: matching on it keeps
      // a stale reply (after its command timed out) from answering the next command of the same kind.
      (r) => r.cmd2 === cmd[1] && (setId === 0 || r.setId === setId) && (!r.ok || data === LG_READ || r.data === data),
      this.timeoutMs,
    );
    if (!reply.ok) throw new DeviceRefusedError(`${this.who}: ${what} refused (${cmd} NG${hx(reply.data)})`, `lg:NG${hx(reply.data)}`);
    return reply.data;
  }
}
