// Samsung MDC driver over a BytePort it is given (RS-232 through SerialBytePort, or LAN through TcpBytePort to
// port 1515). Frames come from samsung-mdc-protocol.ts; every set command waits for its ACK, and a NAK becomes a
// DeviceRefusedError carrying the display's own error code (`mdc:0x01`).
import type { BytePort } from '../port.js';
import { DeviceRefusedError, ProtocolError } from '../../core/errors.js';
import type { DisplayState } from './display-driver.js';
import { SerialDisplay, type DisplaySetting } from './serial-display.js';
import {
  MDC_INPUTS,
  MdcCmd,
  MdcFrameParser,
  decodeMdcReply,
  decodeMdcStatus,
  encodeMdcFrame,
  hex,
  mdcCommandName,
  mdcInputName,
  type MdcReply,
} from './samsung-mdc-protocol.js';

export interface SamsungMdcOptions {
  /** Display ID set in the display's menu (0-254; 0xFE addresses all, and then no set answers). */
  displayId: number;
  timeoutMs?: number;
}

const MDC_SETTING = { power: MdcCmd.power, input: MdcCmd.inputSource, volume: MdcCmd.volume, mute: MdcCmd.mute } as const;

export class SamsungMdcDriver extends SerialDisplay<MdcReply> {
  readonly protocol = 'samsung-mdc';
  private readonly parser = new MdcFrameParser();
  /** Replies that were not well-formed (wrong command byte, neither ACK nor NAK). */
  malformed = 0;

  constructor(
    port: BytePort,
    private readonly opts: SamsungMdcOptions,
  ) {
    super(port, `display (samsung-mdc id ${opts.displayId}) ${port.name}`, MDC_INPUTS, opts.timeoutMs);
  }

  get droppedBytes(): number {
    return this.parser.dropped;
  }

  protected override beforeStart(): void {
    this.parser.reset();
  }

  async query(): Promise<DisplayState> {
    const values = await this.exchange(MdcCmd.status, [], 'status query');
    const s = decodeMdcStatus(values);
    if (typeof s === 'string') throw new ProtocolError(`${this.who}: ${s}`);
    return { power: s.power ? 'on' : 'off', input: mdcInputName(s.input), volume: s.volume, mute: s.mute };
  }

  protected async write(setting: DisplaySetting, value: number, what: string): Promise<void> {
    const values = await this.exchange(MDC_SETTING[setting], [value], what);
    // The ACK echoes the value now in force (spec: "Val: the value set"); a different value means it did not take.
    if (values.length >= 1 && values[0] !== value) {
      throw new DeviceRefusedError(
        `${this.who}: ${what} acknowledged with value 0x${hex(values[0])} instead of 0x${hex(value)}`,
        `mdc:ack-value-0x${hex(values[0])}`,
      );
    }
  }

  private async exchange(cmd: number, data: number[], what: string): Promise<Buffer> {
    const id = this.opts.displayId;
    const reply = await this.queue.request(
      what,
      encodeMdcFrame(cmd, id, data),
      // An ACK to a set echoes the value: matching on it keeps a stale ACK (a reply that came after its
      // command timed out) from being taken for the answer to the next command of the same kind.
      (r) => r.rcmd === cmd && r.id === id && (r.kind === 'nak' || data.length === 0 || r.values[0] === data[0]),
      this.timeoutMs,
    );
    if (reply.kind === 'nak') {
      throw new DeviceRefusedError(
        `${this.who}: ${what} refused (NAK for ${mdcCommandName(cmd)}, error code 0x${hex(reply.error)})`,
        `mdc:0x${hex(reply.error)}`,
      );
    }
    return reply.values;
  }

  protected receive(chunk: Buffer): void {
    for (const frame of this.parser.push(chunk)) {
      const reply = decodeMdcReply(frame);
      if (typeof reply === 'string') {
        this.malformed++;
        continue;
      }
      this.queue.deliver(reply);
    }
  }
}
