// The cec-ctl output parser against cec-ctl's own text, and the CEC driver's mapping of that text to outcomes.
// The missing-device text is what the real cec-ctl (v4l-utils 1.22.1) prints here, run by this test. The transmit
// texts follow cec-ctl's printf formats (utils/cec-ctl/cec-ctl.cpp, transmit loop in main(); status2s()), with
// the values of published captures ("Tx, Not Acknowledged (4), Max Retries" with no TV on the bus).
import t from 'tap';
import { cecAbortReason, cecPowerState, parseCecOutput, parsePhysicalAddress } from '../../drivers/display/cec-output.js';
import { CecDriver, cecCtlRunner, type CecRunResult } from '../../drivers/display/cec.js';
import { BadRequestError, DeviceRefusedError, DeviceTimeoutError, DisconnectedError } from '../../core/errors.js';

const POWER_ON =
  '\nTransmit from Playback Device 1 to TV (4 to 0):\nGIVE_DEVICE_POWER_STATUS (0x8f)\n' +
  '    Received from TV (0):\n    REPORT_POWER_STATUS (0x90):\n\tpwr-state: on (0x00)\n' +
  '\tSequence: 395 Tx Timestamp: 2704.092s Rx Timestamp: 2704.379s\n\tApproximate response time: 215 ms\n';
const STANDBY_OLD_NAMES =
  '\nTransmit from Playback Device 1 to TV (4 to 0):\nCEC_MSG_GIVE_DEVICE_POWER_STATUS (0x8f)\n' +
  '    Received from TV (0):\n    CEC_MSG_REPORT_POWER_STATUS (0x90):\n\tpwr-state: standby (0x01)\n' +
  '\tSequence: 12 Tx Timestamp: 12345.678s Rx Timestamp: 12345.912s\n\tApproximate response time: 233 ms\n';
const NOT_ACKED =
  '\nTransmit from Playback Device 1 to TV (4 to 0):\nGIVE_DEVICE_POWER_STATUS (0x8f)\n' +
  '\tSequence: 652 Tx Timestamp: 4604.391s\n\tTx, Not Acknowledged (4), Max Retries\n';
const RX_TIMEOUT =
  '\nTransmit from Playback Device 1 to TV (4 to 0):\nGIVE_DEVICE_POWER_STATUS (0x8f)\n' +
  '\tSequence: 13 Tx Timestamp: 12350.101s\n\tTx, OK, Rx, Timeout\n';
const FEATURE_ABORT =
  '\nTransmit from Playback Device 1 to TV (4 to 0):\nGIVE_DEVICE_POWER_STATUS (0x8f)\n' +
  '    Received from TV (0):\n    FEATURE_ABORT (0x00):\n\tabort-msg: 143 (0x8f)\n\treason: unrecognized-op (0x00)\n' +
  '\tSequence: 14 Tx Timestamp: 12351.001s Rx Timestamp: 12351.050s\n\tApproximate response time: 49 ms\n' +
  '\tTx, OK, Rx, Feature Abort\n';
const IMAGE_VIEW_ON_OK =
  '\nTransmit from Playback Device 1 to TV (4 to 0):\nIMAGE_VIEW_ON (0x04)\n\tSequence: 20 Tx Timestamp: 13000.500s\n';
const INFO =
  'Driver Info:\n\tDriver Name                : vc4_hdmi\n\tAdapter Name               : vc4-hdmi-0\n' +
  '\tCapabilities               : 0x0000010e\n\tDriver version             : 6.6.51\n' +
  '\tAvailable Logical Addresses: 1\n\tConnector Info             : DRM\n\tPhysical Address           : 2.0.0.0\n' +
  '\tLogical Address Mask       : 0x0010\n\tCEC Version                : 2.0\n\tOSD Name                   : \'diemcau\'\n' +
  '\tLogical Addresses          : 1 (Allow Fallback to Unregistered)\n\n\t  Logical Address          : 4 (Playback Device 1)\n';

t.test('the real cec-ctl with no /dev/cec0: missing, naming it', async (t) => {
  const r = await cecCtlRunner()(['-d', '/dev/cec0', '-s', '--to', '0', '--give-device-power-status']);
  t.equal(r.code, 1, 'cec-ctl exits 1');
  t.match(r.stderr, 'Failed to open /dev/cec0: No such file or directory');
  t.same(parseCecOutput(r.stdout, r.stderr, r.code), { kind: 'missing', device: '/dev/cec0', reason: 'No such file or directory' });
  const absent = await cecCtlRunner('cec-ctl-not-installed')(['-d', '/dev/cec0']);
  t.match(parseCecOutput(absent.stdout, absent.stderr, absent.code), { kind: 'missing', reason: /not installed/ });
});

t.test('parser: replies, statuses and names', async (t) => {
  const on = parseCecOutput(POWER_ON, '', 0);
  t.match(on, { kind: 'sent', ok: true, status: null, reply: { from: 0, opcode: 'REPORT_POWER_STATUS' } });
  t.equal(cecPowerState(on.kind === 'sent' ? on.reply : null), 'on');
  const sb = parseCecOutput(STANDBY_OLD_NAMES, '', 0);
  t.equal(cecPowerState(sb.kind === 'sent' ? sb.reply : null), 'standby', 'older CEC_MSG_ names are read too');
  t.match(parseCecOutput(NOT_ACKED, '', 0), { kind: 'sent', ok: false, status: 'Tx, Not Acknowledged (4), Max Retries', reply: null });
  t.match(parseCecOutput(RX_TIMEOUT, '', 0), { kind: 'sent', ok: false, status: 'Tx, OK, Rx, Timeout' });
  const fa = parseCecOutput(FEATURE_ABORT, '', 0);
  t.match(fa, { kind: 'sent', ok: false, reply: { opcode: 'FEATURE_ABORT', args: { 'abort-msg': '143 (0x8f)' } } });
  t.equal(cecAbortReason(fa.kind === 'sent' ? fa.reply : null), 'unrecognized-op');
  t.match(parseCecOutput(IMAGE_VIEW_ON_OK, '', 0), { kind: 'sent', ok: true, reply: null });
  t.equal(parsePhysicalAddress(INFO), '2.0.0.0');
  t.same(parseCecOutput(INFO, '', 0), { kind: 'not-sent' }, 'info without a Transmit line: nothing was sent');
  t.same(parseCecOutput('', 'Segmentation fault\n', 139), { kind: 'failed', message: 'Segmentation fault' });
});

/** Replays cec-ctl text for each kind of call and records the arguments. */
function replay(answers: Array<[RegExp, CecRunResult]>) {
  const calls: string[] = [];
  const run = async (args: string[]) => {
    const line = args.join(' ');
    calls.push(line);
    const hit = answers.find(([re]) => re.test(line));
    return hit ? hit[1] : { code: 0, stdout: INFO, stderr: '' };
  };
  return { run, calls };
}

t.test('driver: commands map to cec-ctl arguments and outcomes', async (t) => {
  const r = replay([
    [/--image-view-on/, { code: 0, stdout: IMAGE_VIEW_ON_OK, stderr: '' }],
    [/--standby/, { code: 0, stdout: NOT_ACKED, stderr: '' }],
    [/--give-device-power-status/, { code: 0, stdout: POWER_ON, stderr: '' }],
    [/--active-source/, { code: 0, stdout: FEATURE_ABORT, stderr: '' }],
  ]);
  const d = new CecDriver('/dev/cec0', r.run);
  await d.start();
  t.same(r.calls.slice(0, 2), ['-d /dev/cec0 --playback --osd-name diemcau', '-d /dev/cec0']);
  await d.setPower(true);
  t.equal(r.calls.at(-1), '-d /dev/cec0 -s --to 0 --image-view-on');
  const err = await d.setPower(false).catch((e: unknown) => e);
  t.type(err, DeviceTimeoutError, 'no TV acknowledging STANDBY: not answering');
  t.match((err as Error).message, /STANDBY: Tx, Not Acknowledged/);
  t.same(await d.query(), { power: 'on', input: null, volume: null, mute: null });
  const fa = await d.setInput('hdmi1').catch((e: unknown) => e);
  t.equal(r.calls.at(-1), '-d /dev/cec0 -s --active-source phys-addr=2.0.0.0', 'active source with our own address');
  t.type(fa, DeviceRefusedError);
  t.equal((fa as DeviceRefusedError).deviceCode, 'cec:unrecognized-op');
  await t.rejects(d.setVolume(10), BadRequestError);
  await t.rejects(d.setMute(true), BadRequestError);
});

t.test('driver: adapter with no logical address, and a vanished device', async (t) => {
  const d = new CecDriver('/dev/cec0', replay([[/-s/, { code: 0, stdout: INFO, stderr: '' }]]).run);
  await d.start();
  await t.rejects(d.setPower(true), DisconnectedError, 'nothing transmitted: disconnected');
  const gone = new CecDriver('/dev/cec1', cecCtlRunner());
  const e = await gone.start().catch((x: unknown) => x);
  t.type(e, DisconnectedError);
  t.match((e as Error).message, 'display (cec) /dev/cec1: missing: cannot open /dev/cec1: No such file or directory');
});
