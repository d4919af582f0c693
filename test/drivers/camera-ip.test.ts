// VISCA over IP at the byte level: a raw UDP socket talks to the simulated camera with literal datagrams (Sony
// SRG-300H Technical Manual, "VISCA over IP": header, RESET, sequence numbers, ERROR 0F01h/0F02h), then the driver
// recovers from a sequence error by starting a new session.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { UdpSimHost } from '../../drivers/camera/visca-sim-host.js';
import { openRig, until } from '../helpers/visca-rig.js';

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
    await until(`${count} replies to ${datagram}`, () => replies.length >= count, 2000);
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
  await until('ok', () => camera.health().status === 'ok');
  rig.host.sim.sequenceAhead(1000);
  await t.rejects(camera.home(), { name: 'ProtocolError', message: /camera refused the message: sequence number abnormal \(control reply 0f 01\)/ });
  await until('ok after RESET', () => camera.health().status === 'ok');
  await camera.home();
  t.pass('commands run again after the driver sent RESET');
});
