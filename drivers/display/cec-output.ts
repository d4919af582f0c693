// Reads what `cec-ctl` (v4l-utils) prints: pure text parsing, no processes.
//
// Shapes come from cec-ctl itself (v4l-utils utils/cec-ctl/cec-ctl.cpp, the transmit loop in main(), and
// libcecutil's status2s()):
//   \nTransmit from <la name> to <la name> (<from> to <to>):\n<OPCODE_NAME> (0x8f)\n
//   "    Received from <la name> (<la>):\n    <OPCODE_NAME> (0x90):\n\t<arg>: <value> (0x00)\n"   (a reply, if any)
//   "\tSequence: <n> Tx Timestamp: <t>[ Rx Timestamp: <t>\n\tApproximate response time: <n> ms]\n"
//   "\t<status>\n" only when the transfer was not OK, e.g. "Tx, Not Acknowledged (4), Max Retries" (no TV on the
//   bus) or "Tx, OK, Rx, Timeout" (the TV acknowledged and never answered).
// On a missing device it prints "Failed to open /dev/cec0: No such file or directory" on stderr and exits 1.
// Older builds prefix opcode names with CEC_MSG_; both are accepted.

export interface CecReply {
  /** Logical address of the sender (0 = TV). */
  from: number;
  /** Opcode name without the CEC_MSG_ prefix, e.g. REPORT_POWER_STATUS. */
  opcode: string;
  args: Record<string, string>;
}

export type CecOutcome =
  | { kind: 'missing'; device: string; reason: string }
  | { kind: 'failed'; message: string }
  /** cec-ctl ran but sent nothing: the adapter has no logical address (not configured, or HDMI unplugged). */
  | { kind: 'not-sent' }
  | { kind: 'sent'; ok: boolean; status: string | null; reply: CecReply | null; physAddr: string | null };

const OPEN_FAILED = /Failed to open (\S+): (.+)/;

/** Our own physical address from cec-ctl's info block ("Physical Address           : 1.0.0.0"). */
export function parsePhysicalAddress(stdout: string): string | null {
  const m = /Physical Address\s*:\s*([0-9a-f]\.[0-9a-f]\.[0-9a-f]\.[0-9a-f])/i.exec(stdout);
  return m ? m[1].toLowerCase() : null;
}

export function parseCecOutput(stdout: string, stderr: string, exitCode: number): CecOutcome {
  const open = OPEN_FAILED.exec(stderr);
  if (open) return { kind: 'missing', device: open[1].replace(/:$/, ''), reason: open[2].trim() };
  const physAddr = parsePhysicalAddress(stdout);
  const tx = stdout.indexOf('Transmit from ');
  if (tx === -1) {
    if (exitCode !== 0) return { kind: 'failed', message: firstLine(stderr) || firstLine(stdout) || `exit code ${exitCode}` };
    return { kind: 'not-sent' };
  }
  const lines = stdout.slice(tx).split('\n');
  let reply: CecReply | null = null;
  let status: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const rx = /^\s*Received from .*\((\d+)\):\s*$/.exec(lines[i]);
    if (rx && i + 1 < lines.length) {
      const op = /^\s*(?:CEC_MSG_)?([A-Z0-9_]+) \(0x[0-9a-f]{2}\)/.exec(lines[i + 1]);
      if (op) {
        reply = { from: Number(rx[1]), opcode: op[1], args: {} };
        for (let j = i + 2; j < lines.length && /^\t[a-z][a-z0-9-]*: /.test(lines[j]); j++) {
          const [k, ...rest] = lines[j].trim().split(': ');
          reply.args[k] = rest.join(': ');
        }
      }
    }
    const st = /^\t((?:Tx|Rx)\b.*)$/.exec(lines[i]);
    if (st) status = st[1].trim();
  }
  const ok = status === null || (/^Tx, OK\b/.test(status) && !/Timeout|Feature Abort|Aborted/.test(status));
  return { kind: 'sent', ok, status, reply, physAddr };
}

/** `pwr-state: on (0x00)` -> 'on'; the four values of CEC 1.4 table 26 "Power Status". */
export function cecPowerState(reply: CecReply | null): 'on' | 'standby' | 'to-on' | 'to-standby' | null {
  if (!reply || reply.opcode !== 'REPORT_POWER_STATUS') return null;
  const v = /^([a-z-]+)/.exec(reply.args['pwr-state'] ?? '')?.[1];
  return v === 'on' || v === 'standby' || v === 'to-on' || v === 'to-standby' ? v : null;
}

/** A FEATURE_ABORT reply's reason (`unrecognized-op`, `refused`, ...), or null. */
export function cecAbortReason(reply: CecReply | null): string | null {
  if (!reply || reply.opcode !== 'FEATURE_ABORT') return null;
  return /^([a-z-]+)/.exec(reply.args['reason'] ?? '')?.[1] ?? 'unknown';
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}
