// LG RS-232C external control: pure encode/decode, no I/O, no timers.
//
// Source: LG TV owner's manuals, appendix "External control device setup" (e.g. 42LX6500 / LE78 series appendix
// §"Transmission / Receiving Protocol"; 49LF630V; 55GA6400): 9600 bps 8N1, ASCII.
//   transmission: [Command1][Command2][ ][Set ID][ ][Data][Cr]   Set ID and Data in hex, Data 'FF' reads status
//   OK ack      : [Command2][ ][Set ID][ ][OK][Data][x]
//   error ack   : [Command2][ ][Set ID][ ][NG][Data][x]           Data 00: illegal code
// Commands used (command reference list): power "ka" 00 off / 01 on; volume mute "ke" 00 mute ON (volume off) /
// 01 mute OFF (volume on) — inverted on purpose, as printed; volume "kf" 00..64 (0..100); input select "xb",
// data = external input (high nibble) and input number (low nibble): DTV 0, Analogue 1, AV 2, Component 4, RGB 6,
// HDMI 9 (appendix "24. Input select (Command: x b)").

export const LgCommand = {
  power: 'ka',
  mute: 'ke',
  volume: 'kf',
  input: 'xb',
} as const;
export type LgCommandCode = (typeof LgCommand)[keyof typeof LgCommand];

/** Data that asks for the current value instead of setting one. */
export const LG_READ = 0xff;

export const LG_INPUTS: Readonly<Record<string, number>> = {
  'dtv': 0x00,
  'analogue': 0x10,
  'av1': 0x20,
  'av2': 0x21,
  'component1': 0x40,
  'component2': 0x41,
  'rgb': 0x60,
  'hdmi1': 0x90,
  'hdmi2': 0x91,
  'hdmi3': 0x92,
  'hdmi4': 0x93,
};

const INPUT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LG_INPUTS).map(([k, v]) => [v, k]));

export function lgInputName(code: number): string {
  return INPUT_NAMES[code] ?? `0x${hx(code)}`;
}

function hx(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** `ka 01 01\r`. Set ID 0 addresses every set on the line (manual: "Set ID 0: every connected set"). */
export function encodeLgCommand(cmd: string, setId: number, data: number): Buffer {
  if (!/^[a-z]{2}$/.test(cmd)) throw new RangeError(`LG command must be two letters: ${JSON.stringify(cmd)}`);
  return Buffer.from(`${cmd} ${hx(setId & 0xff)} ${hx(data & 0xff)}\r`, 'ascii');
}

/** `a 01 OK01x` / `a 01 NG00x` (what a set sends; the simulator uses this). */
export function encodeLgReply(cmd2: string, setId: number, ok: boolean, data: number): Buffer {
  return Buffer.from(`${cmd2} ${hx(setId & 0xff)} ${ok ? 'OK' : 'NG'}${hx(data & 0xff)}x`, 'ascii');
}

export interface LgReply {
  /** Command2, the letter the reply carries (`a` for `ka`). */
  cmd2: string;
  setId: number;
  ok: boolean;
  data: number;
}

export interface LgRequest {
  cmd: string;
  setId: number;
  data: number;
}

const REPLY_RE = /([a-z]) ([0-9a-f]{2}) (OK|NG)([0-9a-f]{2})x/i;
const REQUEST_RE = /^([a-z]{2}) ([0-9a-f]{2}) ([0-9a-f]{2})$/i;
/** A reply is 10 characters; keep a little more than one in hand while resynchronising. */
const KEEP = 16;

/** Finds replies in the stream; everything between them is garbage and is counted, not thrown. */
export class LgReplyParser {
  private text = '';
  dropped = 0;

  push(chunk: Buffer): LgReply[] {
    this.text += chunk.toString('latin1');
    const out: LgReply[] = [];
    for (;;) {
      const m = REPLY_RE.exec(this.text);
      if (!m) break;
      this.dropped += m.index;
      out.push({ cmd2: m[1].toLowerCase(), setId: parseInt(m[2], 16), ok: m[3].toUpperCase() === 'OK', data: parseInt(m[4], 16) });
      this.text = this.text.slice(m.index + m[0].length);
    }
    if (this.text.length > KEEP) {
      this.dropped += this.text.length - KEEP;
      this.text = this.text.slice(-KEEP);
    }
    return out;
  }

  get pending(): number {
    return this.text.length;
  }
}

/** Splits the set's input on Cr into requests; malformed lines are counted and returned as `bad` (the set NGs). */
export class LgRequestParser {
  private text = '';
  dropped = 0;

  push(chunk: Buffer): Array<LgRequest | { bad: string }> {
    this.text += chunk.toString('latin1');
    const out: Array<LgRequest | { bad: string }> = [];
    let cr: number;
    while ((cr = this.text.indexOf('\r')) !== -1) {
      const line = this.text.slice(0, cr).replace(/^[\n\s]+/, '');
      this.text = this.text.slice(cr + 1);
      const m = REQUEST_RE.exec(line);
      if (m) out.push({ cmd: m[1].toLowerCase(), setId: parseInt(m[2], 16), data: parseInt(m[3], 16) });
      else {
        this.dropped += line.length + 1;
        out.push({ bad: line });
      }
    }
    if (this.text.length > 64) {
      this.dropped += this.text.length;
      this.text = '';
    }
    return out;
  }
}
