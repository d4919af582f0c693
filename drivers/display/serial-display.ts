// What the RS-232 (and LAN) display drivers share: one request at a time through a RequestQueue, replies fed from the
// port by the protocol's parser, and the four settings checked the same way before any byte is sent. A protocol
// says only how a setting is written (`write`), how replies are read (`receive`) and how the state is queried.
import type { BytePort } from '../port.js';
import { BadRequestError } from '../../core/errors.js';
import type { DisplayDriver, DisplayState } from './display-driver.js';
import { RequestQueue } from './request-queue.js';

export type DisplaySetting = 'power' | 'input' | 'volume' | 'mute';

export abstract class SerialDisplay<Reply> implements DisplayDriver {
  abstract readonly protocol: string;
  readonly inputs: readonly string[];
  protected readonly queue: RequestQueue<Reply>;
  protected readonly timeoutMs: number;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    protected readonly port: BytePort,
    /** How errors name this display: `display (lg set 1) /dev/ttyUSB0`. */
    protected readonly who: string,
    private readonly inputCodes: Readonly<Record<string, number>>,
    timeoutMs = 1000,
  ) {
    this.inputs = Object.keys(inputCodes);
    this.timeoutMs = timeoutMs;
    this.queue = new RequestQueue<Reply>((b) => this.port.write(b), who);
  }

  /** Bytes dropped while resynchronising after garbage. */
  abstract get droppedBytes(): number;
  /** Bytes from the port: parse them and deliver each reply to the queue. */
  protected abstract receive(chunk: Buffer): void;
  /** Sets one setting (power and mute 1 = on, input its protocol code, volume 0-100) and waits for the set's answer. */
  protected abstract write(setting: DisplaySetting, value: number, what: string): Promise<void>;
  abstract query(): Promise<DisplayState>;
  /** Called at start, before replies are read (a parser that keeps state between starts resets it here). */
  protected beforeStart(): void {}

  async start(): Promise<void> {
    this.beforeStart();
    this.queue.open();
    this.port.on('data', this.onData);
  }

  async stop(): Promise<void> {
    this.port.off('data', this.onData);
    this.queue.close('driver stopped');
  }

  async setPower(on: boolean): Promise<void> {
    await this.write('power', on ? 1 : 0, `power ${on ? 'on' : 'off'}`);
  }

  async setInput(input: string): Promise<void> {
    const code = Object.hasOwn(this.inputCodes, input) ? this.inputCodes[input] : undefined;
    if (code === undefined) {
      throw new BadRequestError(`${this.who}: unknown input ${JSON.stringify(input)} (known: ${this.inputs.join(', ')})`);
    }
    await this.write('input', code, `input ${input}`);
  }

  async setVolume(level: number): Promise<void> {
    if (!Number.isInteger(level) || level < 0 || level > 100) {
      throw new BadRequestError(`${this.who}: volume must be an integer 0-100, got ${level}`);
    }
    await this.write('volume', level, `volume ${level}`);
  }

  async setMute(on: boolean): Promise<void> {
    await this.write('mute', on ? 1 : 0, `mute ${on ? 'on' : 'off'}`);
  }
}
