// A simulated Samsung display: parses MDC requests off the wire and answers with the bytes a real set sends
// (ACK echoing the value, NAK with an error code, status with power/volume/mute/input), per the MDC Protocol
// spec chapter 2. Requests for another display id are ignored, as on a daisy-chained RS-232 line.
import {
  MDC_INPUTS,
  MDC_REPLY,
  MdcCmd,
  MdcFrameParser,
  encodeMdcReply,
  type MdcFrame,
} from './samsung-mdc-protocol.js';
import { SimReplier, defaultFaults, type SimDisplayModel, type SimFaults } from './sim-model.js';

/** MDC NAK error code for a value out of range (the spec leaves codes model-specific; 0x01 is what sets send). */
const ERR_BAD_VALUE = 0x01;
const BROADCAST_ID = 0xfe;

export class SamsungMdcSim {
  readonly model: SimDisplayModel = { power: false, input: MDC_INPUTS.hdmi1, volume: 20, mute: false };
  readonly faults: SimFaults = defaultFaults();
  private readonly parser = new MdcFrameParser();
  private readonly replier: SimReplier;

  constructor(
    readonly displayId: number,
    send: (bytes: Buffer) => void,
  ) {
    this.replier = new SimReplier(send, this.faults);
  }

  get received(): number {
    return this.replier.received;
  }

  receive(chunk: Buffer): void {
    for (const frame of this.parser.push(chunk)) this.handle(frame);
  }

  stop(): void {
    this.replier.stop();
  }

  private handle(f: MdcFrame): void {
    if (f.cmd === MDC_REPLY) return;
    if (f.id !== this.displayId && f.id !== BROADCAST_ID) return;
    this.replier.received++;
    if (this.faults.ignore.includes(f.cmd)) return;
    // A broadcast is obeyed but not answered (several sets answering at once would collide).
    const answer = (ack: boolean, values: number[]) => {
      if (f.id !== BROADCAST_ID) this.replier.reply(encodeMdcReply(this.displayId, ack, f.cmd, values));
    };
    if (this.faults.refuseWith !== null) return answer(false, [this.faults.refuseWith]);
    const m = this.model;
    const v = f.data[0];
    const isSet = f.data.length > 0;
    switch (f.cmd) {
      case MdcCmd.status:
        return answer(true, [m.power ? 1 : 0, m.volume, m.mute ? 1 : 0, m.input, 0x00, 0x00, 0x00]);
      case MdcCmd.power:
        if (isSet) {
          if (v > 1) return answer(false, [ERR_BAD_VALUE]);
          m.power = v === 1;
        }
        return answer(true, [m.power ? 1 : 0]);
      case MdcCmd.volume:
        if (isSet) {
          if (v > 100) return answer(false, [ERR_BAD_VALUE]);
          m.volume = v;
        }
        return answer(true, [m.volume]);
      case MdcCmd.mute:
        if (isSet) {
          if (v > 1) return answer(false, [ERR_BAD_VALUE]);
          m.mute = v === 1;
        }
        return answer(true, [m.mute ? 1 : 0]);
      case MdcCmd.inputSource:
        if (isSet) {
          if (!Object.values(MDC_INPUTS).includes(v)) return answer(false, [ERR_BAD_VALUE]);
          m.input = v;
        }
        return answer(true, [m.input]);
      default:
        return answer(false, [ERR_BAD_VALUE]);
    }
  }
}
