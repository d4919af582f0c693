// VISCA encode/decode against literal byte sequences from the manuals:
//  [D70]  Sony EVI-D70 Technical Manual, VISCA Command/Inquiry List and reply messages
//  [X400] Sony SRG-X400 Technical Manual, Command List (7/8): Pan-tiltDrive, ABS/REL, Home
//  [300H] Sony SRG-300H Technical Manual, Command List: Pan-tiltPosInq; VISCA over IP header
import t from 'tap';
import {
  ADDRESS_SET,
  IF_CLEAR_BROADCAST,
  decodeInquiryReply,
  decodeReply,
  encodeAck,
  encodeCancel,
  encodeCommand,
  encodeCompletion,
  encodeError,
  encodeInquiry,
  encodeInquiryReply,
  type ViscaCommand,
  type ViscaInquiry,
} from '../../drivers/camera/visca-protocol.js';
import { decodeRequest } from '../../drivers/camera/visca-request-decode.js';
import { ViscaFramer } from '../../drivers/camera/visca-framer.js';
import { decodeIp, encodeIp, nextSequence, CONTROL_RESET } from '../../drivers/camera/visca-ip.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const show = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

// [command, camera address, expected bytes, source]
const COMMANDS: Array<[ViscaCommand, number, string, string]> = [
  [{ op: 'power', on: true }, 1, '81 01 04 00 02 ff', 'D70 CAM_Power On'],
  [{ op: 'power', on: false }, 1, '81 01 04 00 03 ff', 'D70 CAM_Power Off'],
  [{ op: 'if-clear' }, 2, '82 01 00 01 ff', 'D70 IF_Clear'],
  [{ op: 'pt-drive', direction: 'up', panSpeed: 0x18, tiltSpeed: 0x17 }, 1, '81 01 06 01 18 17 03 01 ff', 'X400 Up'],
  [{ op: 'pt-drive', direction: 'down', panSpeed: 1, tiltSpeed: 1 }, 1, '81 01 06 01 01 01 03 02 ff', 'X400 Down'],
  [{ op: 'pt-drive', direction: 'left', panSpeed: 5, tiltSpeed: 4 }, 1, '81 01 06 01 05 04 01 03 ff', 'X400 Left'],
  [{ op: 'pt-drive', direction: 'right', panSpeed: 5, tiltSpeed: 4 }, 1, '81 01 06 01 05 04 02 03 ff', 'X400 Right'],
  [{ op: 'pt-drive', direction: 'up-left', panSpeed: 5, tiltSpeed: 4 }, 1, '81 01 06 01 05 04 01 01 ff', 'X400 UpLeft'],
  [{ op: 'pt-drive', direction: 'up-right', panSpeed: 5, tiltSpeed: 4 }, 1, '81 01 06 01 05 04 02 01 ff', 'X400 UpRight'],
  [{ op: 'pt-drive', direction: 'down-left', panSpeed: 5, tiltSpeed: 4 }, 1, '81 01 06 01 05 04 01 02 ff', 'X400 DownLeft'],
  [{ op: 'pt-drive', direction: 'down-right', panSpeed: 5, tiltSpeed: 4 }, 1, '81 01 06 01 05 04 02 02 ff', 'X400 DownRight'],
  [{ op: 'pt-drive', direction: 'stop', panSpeed: 1, tiltSpeed: 1 }, 1, '81 01 06 01 01 01 03 03 ff', 'X400 Stop'],
  [{ op: 'pt-absolute', pan: 0x0510, tilt: -432, speed: 0x18 }, 1, '81 01 06 02 18 17 00 05 01 00 0f 0e 05 00 ff', 'X400 ABS'],
  [{ op: 'pt-relative', pan: -1, tilt: 1, speed: 2 }, 1, '81 01 06 03 02 02 0f 0f 0f 0f 00 00 00 01 ff', 'X400 REL'],
  [{ op: 'pt-home' }, 1, '81 01 06 04 ff', 'X400 Home'],
  [{ op: 'zoom', action: 'stop' }, 1, '81 01 04 07 00 ff', 'D70 CAM_Zoom Stop'],
  [{ op: 'zoom', action: 'tele' }, 1, '81 01 04 07 02 ff', 'D70 CAM_Zoom Tele(Standard)'],
  [{ op: 'zoom', action: 'wide' }, 1, '81 01 04 07 03 ff', 'D70 CAM_Zoom Wide(Standard)'],
  [{ op: 'zoom', action: 'tele', speed: 7 }, 1, '81 01 04 07 27 ff', 'D70 CAM_Zoom Tele(Variable)'],
  [{ op: 'zoom', action: 'wide', speed: 0 }, 1, '81 01 04 07 30 ff', 'D70 CAM_Zoom Wide(Variable)'],
  [{ op: 'zoom-direct', position: 0x4000 }, 1, '81 01 04 47 04 00 00 00 ff', 'D70 CAM_Zoom Direct'],
  [{ op: 'focus-mode', mode: 'auto' }, 1, '81 01 04 38 02 ff', 'D70 CAM_Focus Auto'],
  [{ op: 'focus-mode', mode: 'manual' }, 1, '81 01 04 38 03 ff', 'D70 CAM_Focus Manual'],
  [{ op: 'memory', action: 'reset', n: 0 }, 1, '81 01 04 3f 00 00 ff', 'D70 CAM_Memory Reset'],
  [{ op: 'memory', action: 'set', n: 9 }, 1, '81 01 04 3f 01 09 ff', 'D70 CAM_Memory Set'],
  [{ op: 'memory', action: 'recall', n: 15 }, 1, '81 01 04 3f 02 0f ff', 'D70 CAM_Memory Recall'],
];

t.test('commands encode to the manuals bytes and decode back', async (t) => {
  for (const [cmd, address, bytes, src] of COMMANDS) {
    const enc = encodeCommand(address, cmd);
    t.equal(show(enc), bytes, `${src}: ${JSON.stringify(cmd)}`);
    const dec = decodeRequest(hex(bytes));
    t.same(dec, { kind: 'command', address, command: cmd }, `${src}: decodes`);
  }
});

t.test('inquiries and their replies', async (t) => {
  const INQ: Array<[ViscaInquiry, string, string]> = [
    ['power', '81 09 04 00 ff', 'D70 CAM_PowerInq'],
    ['zoom-position', '81 09 04 47 ff', 'D70 CAM_ZoomPosInq'],
    ['focus-mode', '81 09 04 38 ff', 'D70 CAM_FocusModeInq'],
    ['pan-tilt-position', '81 09 06 12 ff', '300H Pan-tiltPosInq'],
  ];
  for (const [q, bytes, src] of INQ) {
    t.equal(show(encodeInquiry(1, q)), bytes, src);
    t.same(decodeRequest(hex(bytes)), { kind: 'inquiry', address: 1, inquiry: q }, `${src} decodes`);
  }
  // [D70] y0 50 02 FF: On, y0 50 03 FF: Off (Standby)
  t.same(decodeInquiryReply('power', hex('02')), { inquiry: 'power', on: true });
  t.same(decodeInquiryReply('power', hex('03')), { inquiry: 'power', on: false });
  t.equal(decodeInquiryReply('power', hex('04')), null, 'power value 04 is not a power state');
  // [D70] y0 50 0p 0q 0r 0s FF zoom position
  t.same(decodeInquiryReply('zoom-position', hex('01 02 03 04')), { inquiry: 'zoom-position', position: 0x1234 });
  t.equal(decodeInquiryReply('zoom-position', hex('01 12 03 04')), null, 'a nibble byte over 0F is rejected');
  // [300H] y0 50 0w 0w 0w 0w 0z 0z 0z 0z FF, signed (two's complement)
  t.same(decodeInquiryReply('pan-tilt-position', hex('0f 06 07 00 00 05 01 00')), { inquiry: 'pan-tilt-position', pan: -2448, tilt: 1296 });
  t.same(decodeReply(hex('90 50 0f 06 07 00 00 05 01 00 ff')), { kind: 'completion', address: 1, socket: 0, data: hex('0f 06 07 00 00 05 01 00') });
  t.equal(show(encodeInquiryReply(1, { inquiry: 'pan-tilt-position', pan: -2448, tilt: 1296 })), '90 50 0f 06 07 00 00 05 01 00 ff');
  t.equal(show(encodeInquiryReply(1, { inquiry: 'focus-mode', mode: 'manual' })), '90 50 03 ff');
});

t.test('broadcasts, cancel and replies', async (t) => {
  t.equal(show(ADDRESS_SET), '88 30 01 ff', 'D70 AddressSet');
  t.equal(show(IF_CLEAR_BROADCAST), '88 01 00 01 ff', 'D70 IF_Clear (broadcast)');
  t.equal(show(encodeCancel(1, 2)), '81 22 ff', 'D70 CommandCancel 8x 2p FF');
  t.same(decodeRequest(hex('81 21 ff')), { kind: 'cancel', address: 1, socket: 1 });
  t.same(decodeRequest(hex('88 30 01 ff')), { kind: 'address-set', first: 1 });
  t.same(decodeRequest(hex('88 01 00 01 ff')), { kind: 'if-clear-broadcast' });
  t.same(decodeRequest(hex('81 01 04 55 ff')), { kind: 'unknown', address: 1 }, 'unknown command to us: syntax error case');
  t.same(decodeReply(hex('88 30 02 ff')), { kind: 'address-set', next: 2 }, 'D70 address set reply');
  t.same(decodeReply(hex('88 01 00 01 ff')), { kind: 'if-clear' });
  t.same(decodeReply(hex('90 41 ff')), { kind: 'ack', address: 1, socket: 1 }, 'D70 ACK z0 4y FF');
  t.same(decodeReply(hex('a0 52 ff')), { kind: 'completion', address: 2, socket: 2, data: Buffer.alloc(0) }, 'D70 Completion');
  t.same(decodeReply(hex('90 38 ff')), { kind: 'network-change', address: 1 });
  const ERR: Array<[string, number, number]> = [
    ['90 60 02 ff', 0, 0x02], // syntax error
    ['90 60 03 ff', 0, 0x03], // command buffer full
    ['90 61 04 ff', 1, 0x04], // command cancelled
    ['90 62 05 ff', 2, 0x05], // no socket
    ['90 61 41 ff', 1, 0x41], // command not executable
  ];
  for (const [bytes, socket, code] of ERR) t.same(decodeReply(hex(bytes)), { kind: 'error', address: 1, socket, code }, `D70 error ${bytes}`);
  t.equal(show(encodeAck(1, 2)), '90 42 ff');
  t.equal(show(encodeCompletion(7, 1)), 'f0 51 ff');
  t.equal(show(encodeError(1, 1, 0x41)), '90 61 41 ff');
  for (const bad of ['90 41', '90 41 00 ff', '90 60 99 ff', '81 41 ff', 'ff', '90 ff 41 ff', '10 41 ff'])
    t.equal(decodeReply(hex(bad)), null, `not a reply: ${bad}`);
  t.throws(() => encodeCommand(0, { op: 'pt-home' }), RangeError, 'address 0 is refused');
  t.throws(() => encodeCommand(1, { op: 'pt-drive', direction: 'up', panSpeed: 0x19, tiltSpeed: 1 }), /pan speed 25 is outside 1..24/);
  t.throws(() => encodeCommand(1, { op: 'zoom-direct', position: 0x4001 }), RangeError);
});

t.test('VISCA over IP header [300H]', async (t) => {
  t.equal(show(encodeIp('command', 0, hex('81 01 04 00 02 ff'))), '01 00 00 06 00 00 00 00 81 01 04 00 02 ff', 'command');
  t.equal(show(encodeIp('inquiry', 0x01020304, hex('81 09 04 00 ff'))), '01 10 00 05 01 02 03 04 81 09 04 00 ff', 'inquiry');
  t.equal(show(encodeIp('control', 0, CONTROL_RESET)), '02 00 00 01 00 00 00 00 01', 'control RESET 01h');
  t.same(decodeIp(hex('01 11 00 03 00 00 00 07 90 41 ff')), { type: 'reply', sequence: 7, payload: hex('90 41 ff') });
  t.same(decodeIp(hex('02 01 00 02 ff ff ff ff 0f 01')), { type: 'controlReply', sequence: 0xffffffff, payload: hex('0f 01') });
  t.same(decodeIp(hex('01 20 00 01 00 00 00 01 01')), { type: 'deviceSetting', sequence: 1, payload: hex('01') });
  t.equal(decodeIp(hex('01 11 00 04 00 00 00 07 90 41 ff')), null, 'length field disagrees');
  t.equal(decodeIp(hex('03 00 00 01 00 00 00 07 01')), null, 'unknown payload type');
  t.equal(nextSequence(0xffffffff), 0, 'sequence wraps to 0');
  t.throws(() => encodeIp('command', 0, Buffer.alloc(17)), RangeError, 'payload over 16 bytes');
});

t.test('stream framer resynchronises after garbage and truncation', async (t) => {
  const f = new ViscaFramer((p) => decodeReply(p) !== null);
  const out = f.push(hex('00 13 7f ff 90 41 ff 55 90 51 ff'));
  t.same(out.map(show), ['90 41 ff', '90 51 ff']);
  t.equal(f.dropped, 5, 'five garbage bytes dropped');
  // A truncated ACK (no FF) followed by a full Completion: the truncated one is dropped, the next is kept.
  t.same(f.push(hex('90 41 90 51 ff')).map(show), ['90 51 ff']);
  // A packet split over chunks.
  t.same(f.push(hex('90 50 00 00')), []);
  t.equal(f.pending, 4);
  t.same(f.push(hex('00 00 ff')).map(show), ['90 50 00 00 00 00 ff']);
  // A header byte followed by a run too long to be a packet.
  t.same(f.push(Buffer.concat([hex('90'), Buffer.alloc(20, 1), hex('90 42 ff')])).map(show), ['90 42 ff']);
  f.push(hex('90 41'));
  f.reset();
  t.equal(f.pending, 0, 'reset drops a half packet');
  t.same(f.push(hex('ff 90 52 ff')).map(show), ['90 52 ff'], 'the tail of a dropped packet does not poison the next');
});
