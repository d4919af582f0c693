// VISCA over IP at the byte level: a raw UDP socket talks to the simulated camera with literal datagrams (Sony
// SRG-300H Technical Manual, "VISCA over IP": header, RESET, sequence numbers, ERROR 0F01h/0F02h), then the driver
// recovers from a sequence error by starting a new session.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { UdpSimHost } from '../../drivers/camera/visca-sim-host.js';
import { openRig } from '../../lab/visca-rig.js';
import { waitFor } from '../../lab/wait.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const show = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

t.test('the simulator speaks VISCA over IP datagrams', async (t) => {
  const host = new UdpSimHost();
  await host.start();
  t.teardown(() => host.stop());
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  t.teardown(() => sock.close());
  const port = Number(host.target.split(':')[1]);
  const replies: string[] = [];
  sock.on('message', (m: Buffer) => replies.push(show(m)));
  const exchange = async (datagram: string, count: number) => {
    replies.length = 0;
    sock.send(hex(datagram), port, '127.0.0.1');
    await waitFor(`${count} replies to ${datagram}`, () => replies, { until: (r) => r.length >= count });
    return [...replies];
  };
  t.same(await exchange('02 00 00 01 00 00 00 00 01', 1), ['02 01 00 01 00 00 00 00 01'], 'RESET is acknowledged');
  t.same(
    await exchange('01 00 00 06 00 00 00 05 81 01 04 00 02 ff', 2),
    ['01 11 00 03 00 00 00 05 90 41 ff', '01 11 00 03 00 00 00 05 90 51 ff'],
    'power on: ACK and Completion carry the command\'s sequence number',
  );
  t.same(
    await exchange('01 10 00 05 00 00 00 06 81 09 04 00 ff', 1),
    ['01 11 00 04 00 00 00 06 90 50 02 ff'],
    'power inquiry: on',
  );
  t.same(await exchange('01 00 00 05 00 00 00 03 81 01 06 04 ff', 1), ['02 01 00 02 00 00 00 03 0f 01'], 'an old sequence number: ERROR 0F01h');
  t.same(await exchange('01 00 00 05 00 00 00 07 81 09 04 00 ff', 1), ['02 01 00 02 00 00 00 07 0f 02'], 'an inquiry sent as a command: ERROR 0F02h');
  t.same(await exchange('02 00 00 01 00 00 00 00 01', 1), ['02 01 00 01 00 00 00 00 01'], 'RESET again');
  t.same(await exchange('01 00 00 05 00 00 00 00 81 01 06 04 ff', 2), ['01 11 00 03 00 00 00 00 90 41 ff', '01 11 00 03 00 00 00 00 90 51 ff'], 'after RESET, sequence 0 is accepted');
});

t.test('driver: a sequence error from the camera fails that request clearly, then a new session starts', async (t) => {
  const rig = await openRig('udp');
  t.teardown(() => rig.close());
  const { camera } = rig;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  rig.host.sim.sequenceAhead(1000);
  await t.rejects(camera.home(), { name: 'ProtocolError', message: /camera refused the message: sequence number abnormal \(control reply 0f 01\)/ });
  await waitFor('ok after RESET', () => camera.health(), { until: (h) => h.status === 'ok' });
  await camera.home();
  t.pass('commands run again after the driver sent RESET');
});

t.test('another controller holds both sockets: buffer full, the driver retries until one frees', async (t) => {
  const rig = await openRig('udp', { completionMs: 3000 });
  t.teardown(() => rig.close());
  const { camera } = rig;
  const sim = rig.host.sim;
  await camera.start();
  await waitFor('camera health ok', () => camera.health(), { until: (h) => h.status === 'ok' });
  // A second controller (a hall's old joystick, say) starts two long moves that never complete.
  const other = createSocket('udp4');
  other.bind(0, '127.0.0.1');
  await once(other, 'listening');
  t.teardown(() => other.close());
  const port = Number(rig.host.target.split(':')[1]);
  const seen: string[] = [];
  other.on('message', (m: Buffer) => seen.push(show(m)));
  sim.faults.noCompletion = true;
  other.send(hex('02 00 00 01 00 00 00 00 01'), port, '127.0.0.1');
  other.send(hex('01 00 00 09 00 00 00 00 81 01 04 47 04 00 00 00 ff'), port, '127.0.0.1');
  other.send(hex('01 00 00 0f 00 00 00 01 81 01 06 02 01 01 00 09 00 00 00 00 00 00 ff'), port, '127.0.0.1');
  await waitFor('both sockets taken by the other controller', () => sim.busySockets(), { until: (s) => s.length === 2 });
  sim.faults.noCompletion = false;
  const focus = camera.focus('manual').then(() => performance.now());
  await new Promise((r) => setTimeout(r, 400));
  t.equal(sim.busySockets().length, 2, 'still busy: the driver has been told buffer full and waits');
  const freedAt = performance.now();
  other.send(hex('01 00 00 03 00 00 00 02 81 21 ff'), port, '127.0.0.1'); // the other controller cancels socket 1
  const doneAt = await focus;
  t.ok(doneAt > freedAt, `the focus command completed after the socket freed (${Math.round(doneAt - freedAt)} ms after)`);
  t.equal((await camera.inquire('focus-mode')).mode, 'manual');
  await waitFor('"cancelled" for socket 1', () => seen, { until: (s) => s.includes('01 11 00 04 00 00 00 02 90 61 04 ff') });
  t.pass('the other controller got "cancelled" for its socket 1');
});
