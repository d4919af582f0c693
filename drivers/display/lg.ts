// LG RS-232C driver over a BytePort it is given. Every command waits for its `OK`; an `NG` becomes a
// DeviceRefusedError with the set's own data byte as code (`lg:NG00`, "illegal code").
import type { BytePort } from '../port.js';
import { DeviceRefusedError } from '../../core/errors.js';
import type { DisplayState } from './display-driver.js';
import { SerialDisplay, type DisplaySetting } from './serial-display.js';
import { LG_INPUTS, LG_READ, LgCommand, LgReplyParser, encodeLgCommand, lgInputName, type LgReply } from './lg-protocol.js';

export interface LgOptions {
  /** Set ID from the set's menu (1-99; 0 reaches every set). */
  setId: number;
  timeoutMs?: number;
}

function hx(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export class LgDriver extends SerialDisplay<LgReply> {
  readonly protocol = 'lg';
  private readonly parser = new LgReplyParser();

  constructor(
    port: BytePort,
    private readonly opts: LgOptions,
  ) {
    super(port, `display (lg set ${opts.setId}) ${port.name}`, LG_INPUTS, opts.timeoutMs);
  }

  get droppedBytes(): number {
    return this.parser.dropped;
  }

  protected receive(chunk: Buffer): void {
    for (const r of this.parser.push(chunk)) this.queue.deliver(r);
  }

  protected async write(setting: DisplaySetting, value: number, what: string): Promise<void> {
    // ke data is inverted: 00 = mute on (volume off), 01 = mute off (manual, "Volume Mute (Command: k e)").
    await this.exchange(LgCommand[setting], setting === 'mute' ? 1 - value : value, what);
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
