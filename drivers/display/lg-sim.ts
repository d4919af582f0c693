// A simulated LG set: reads `ka 01 01\r` style commands and answers `a 01 OK01x` / `a 01 NG00x` as the owner's
// manual appendix describes ('FF' reads the current value; Set ID 00 is obeyed by every set).
import { LG_INPUTS, LG_READ, LgCommand, LgRequestParser, encodeLgReply, type LgRequest } from './lg-protocol.js';
import { SimReplier, defaultFaults, type SimDisplayModel, type SimFaults } from './sim-model.js';

/** NG data 00: "Illegal Code" (manual, "Error Acknowledgement"). */
const NG_ILLEGAL = 0x00;

export class LgSim {
  readonly model: SimDisplayModel = { power: false, input: LG_INPUTS.hdmi1, volume: 20, mute: false };
  readonly faults: SimFaults = defaultFaults();
  private readonly parser = new LgRequestParser();
  private readonly replier: SimReplier;

  constructor(
    readonly setId: number,
    send: (bytes: Buffer) => void,
  ) {
    this.replier = new SimReplier(send, this.faults);
  }

  get received(): number {
    return this.replier.received;
  }

  receive(chunk: Buffer): void {
    for (const r of this.parser.push(chunk)) {
      if ('bad' in r) continue;
      this.handle(r);
    }
  }

  stop(): void {
    this.replier.stop();
  }

  private handle(r: LgRequest): void {
    if (r.setId !== this.setId && r.setId !== 0) return;
    this.replier.received++;
    if (this.faults.ignore.includes(r.cmd)) return;
    const c2 = r.cmd[1];
    const ok = (data: number) => this.replier.reply(encodeLgReply(c2, this.setId, true, data));
    const ng = (data: number) => this.replier.reply(encodeLgReply(c2, this.setId, false, data));
    if (this.faults.refuseWith !== null) return ng(this.faults.refuseWith);
    const m = this.model;
    const read = r.data === LG_READ;
    switch (r.cmd) {
      case LgCommand.power:
        if (!read) {
          if (r.data > 1) return ng(NG_ILLEGAL);
          m.power = r.data === 1;
        }
        return ok(m.power ? 1 : 0);
      // In standby a set handles only `ka` (manual: "TV can communicate \"ka command\" in power-on or power-off
      // status"); everything else is NG.
      case LgCommand.volume:
        if (!m.power) return ng(NG_ILLEGAL);
        if (!read) {
          if (r.data > 100) return ng(NG_ILLEGAL);
          m.volume = r.data;
        }
        return ok(m.volume);
      case LgCommand.mute:
        if (!m.power) return ng(NG_ILLEGAL);
        if (!read) {
          if (r.data > 1) return ng(NG_ILLEGAL);
          m.mute = r.data === 0;
        }
        return ok(m.mute ? 0 : 1);
      case LgCommand.input:
        if (!m.power) return ng(NG_ILLEGAL);
        if (!read) {
          if (!Object.values(LG_INPUTS).includes(r.data)) return ng(NG_ILLEGAL);
          m.input = r.data;
        }
        return ok(m.input);
      default:
        return ng(NG_ILLEGAL);
    }
  }
}
