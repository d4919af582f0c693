// The three BytePort implementations over real parts: a socat pty pair, real TCP and UDP sockets on loopback.
import t from 'tap';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { openPtyPair } from '../../lab/pty.js';
import { freeTcpPort, freeUdpPort } from '../../lab/ports.js';
import { waitFor } from '../../lab/wait.js';
import { SerialBytePort } from '../../drivers/serial-port.js';
import { TcpBytePort } from '../../drivers/tcp-port.js';
import { UdpBytePort } from '../../drivers/udp-port.js';
import { DisconnectedError } from '../../core/errors.js';
import type { BytePort } from '../../drivers/port.js';

function nextData(p: BytePort, bytes: number, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => {
      p.off('data', on);
      reject(new Error(`${p.name}: got ${n} of ${bytes} bytes in ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (c: Buffer) => {
      parts.push(c);
      n += c.length;
      if (n >= bytes) {
        clearTimeout(timer);
        p.off('data', on);
        resolve(Buffer.concat(parts));
      }
    };
    p.on('data', on);
  });
}

t.test('serial: bytes both ways over a pty pair, lock, unplug', async (t) => {
  const pty = await openPtyPair();
  t.teardown(() => pty.close());
  const a = new SerialBytePort({ path: pty.a, label: 'camera port' });
  const b = new SerialBytePort({ path: pty.b, label: 'sim port' });
  await a.open();
  await b.open();
  t.equal(a.isOpen, true);
  t.equal(a.name, pty.a);

  const got = nextData(b, 6);
  await a.write(Buffer.from([0x81, 0x01, 0x04, 0x00, 0x02, 0xff]));
  t.same([...(await got)], [0x81, 0x01, 0x04, 0x00, 0x02, 0xff], 'a -> b');
  const back = nextData(a, 3);
  await b.write(Buffer.from([0x90, 0x41, 0xff]));
  t.same([...(await back)], [0x90, 0x41, 0xff], 'b -> a');

  const second = new SerialBytePort({ path: pty.a, label: 'camera port' });
  const locked = await second.open().then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(locked instanceof DisconnectedError, 'a second open of a locked port is refused');
  t.match((locked as Error).message, new RegExp(`^camera port ${pty.a}: cannot open: .+`));
  // close() releases the lock: another opener gets the port, and the first can take it back after.
  await a.close();
  await second.open();
  t.equal(second.isOpen, true, 'the lock is released on close');
  await second.close();
  await a.open();
  t.equal(a.isOpen, true, 'and taken again on open');
  const again = nextData(b, 1);
  await a.write(Buffer.from([0x42]));
  t.same([...(await again)], [0x42], 'bytes flow after reopening');

  const closed = once(a, 'close');
  await pty.close();
  let timer: NodeJS.Timeout | undefined;
  const [err] = (await Promise.race([
    closed,
    new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no close event within 3 s after socat died')), 3000))),
  ])) as [Error | undefined];
  clearTimeout(timer);
  t.ok(err instanceof DisconnectedError, 'unplug closes with a DisconnectedError');
  t.match(err!.message, new RegExp(`^camera port ${pty.a}: disconnected`));
  t.equal(a.isOpen, false);
  await t.rejects(a.write(Buffer.from([1])), DisconnectedError, 'write after unplug rejects');
  await b.close();
});

t.test('serial: a missing path is a DisconnectedError naming it', async (t) => {
  const p = new SerialBytePort({ path: '/dev/ttyDIEMCAU-none', label: 'camera port' });
  const e = await p.open().then(
    () => null,
    (x: unknown) => x,
  );
  t.ok(e instanceof DisconnectedError);
  t.match((e as Error).message, /^camera port \/dev\/ttyDIEMCAU-none: cannot open: No such file/);
  t.equal(p.isOpen, false);
});

t.test('tcp: bytes both ways, refused, peer close', async (t) => {
  const refusedPort = await freeTcpPort();
  const refused = new TcpBytePort({ host: '127.0.0.1', port: refusedPort, label: 'display port' });
  await t.rejects(refused.open(), { name: 'DisconnectedError', message: new RegExp(`^display port tcp://127.0.0.1:${refusedPort}: cannot open: ECONNREFUSED`) });

  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.teardown(() => srv.close());
  const port = (srv.address() as { port: number }).port;
  const p = new TcpBytePort({ host: '127.0.0.1', port, label: 'display port' });
  const accepted = once(srv, 'connection');
  await p.open();
  const [peer] = (await accepted) as [Socket];
  const got = once(peer, 'data');
  await p.write(Buffer.from('ka 01 01\r'));
  t.equal(String((await got)[0]), 'ka 01 01\r');
  const back = nextData(p, 5);
  peer.write('a 01 ');
  t.equal(String(await back), 'a 01 ');
  const closed = once(p, 'close');
  peer.destroy();
  const [err] = (await closed) as [Error];
  t.ok(err instanceof DisconnectedError, 'peer close is reported');
  t.equal(p.isOpen, false);
  await p.close();
});

t.test('udp: one datagram per data event, local close', async (t) => {
  // Bound to port 0 and asked: a port found free first could be taken by a test running beside this one.
  const remote = createSocket('udp4');
  remote.bind(0, '127.0.0.1');
  await once(remote, 'listening');
  const remotePort = remote.address().port;
  t.teardown(() => remote.close());
  const p = new UdpBytePort({ host: '127.0.0.1', port: remotePort, label: 'camera port' });
  t.equal(p.name, `udp://127.0.0.1:${remotePort}`);
  await p.open();
  const got = once(remote, 'message');
  await p.write(Buffer.from([0x01, 0x00, 0x00, 0x05]));
  const [msg, rinfo] = (await got) as [Buffer, { port: number }];
  t.same([...msg], [0x01, 0x00, 0x00, 0x05]);
  t.equal(rinfo.port, p.localPort);
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  remote.send(Buffer.from([1, 2, 3]), rinfo.port, '127.0.0.1');
  remote.send(Buffer.from([4, 5]), rinfo.port, '127.0.0.1');
  await waitFor('two datagrams', () => chunks, { until: (c) => c.length >= 2 });
  t.same(chunks.map((c) => [...c]), [[1, 2, 3], [4, 5]], 'datagram boundaries kept');
  // Writing to a port nobody listens on loses the datagram but does not throw (UDP has no connection).
  const lonely = new UdpBytePort({ host: '127.0.0.1', port: await freeUdpPort() });
  await lonely.open();
  await lonely.write(Buffer.from([1]));
  await new Promise((r) => setTimeout(r, 50));
  await lonely.write(Buffer.from([2]));
  t.equal(lonely.isOpen, true, 'ICMP unreachable does not close the port');
  await lonely.close();
  const closed = once(p, 'close');
  await p.close();
  await closed;
  t.equal(p.isOpen, false);
});
