// A TCP relay between the agent and the broker that a test can cut two ways: a reset (what a box sees when its own
// link fails) or a clean close (what every box sees when the broker shuts down). It can also slow the link down:
// with `latencyMs` every chunk is held that long in each direction, in order, as on a 3G uplink, and a side that
// closes cleanly has its bytes still on the way delivered before the close reaches the other side. With
// `dropFromClient` it reads the client's bytes as MQTT packets and drops those of the given types (a broker that
// never answers a SUBSCRIBE, as seen from the box).
import { createServer, connect, type Socket, type Server } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** One-way delay of every chunk, ms; may be changed while connections are open (takes effect for new chunks). */
  latencyMs: number;
  /** Relayed connections the client (the agent) has closed or reset so far, counted when its FIN or RST arrives. */
  readonly clientCloses: number;
  /** Reset every relayed connection (RST), as a failing link does. */
  reset(): void;
  /** Close every relayed connection cleanly (FIN), as a broker shutting down does. */
  closeAll(): void;
  stop(): Promise<void>;
}

/**
 * Cuts a byte stream into whole MQTT packets (fixed header: type and flags, then the remaining length as a
 * variable byte integer) and passes on only those `keep` accepts, whole.
 */
function mqttPacketFilter(keep: (type: number) => boolean): (chunk: Buffer) => Buffer {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      let len = 0;
      let i = 1;
      for (let shift = 0; i < pending.length && i <= 4; i++, shift += 7) {
        len += (pending[i] & 0x7f) << shift;
        if ((pending[i] & 0x80) === 0) break;
      }
      if (i >= pending.length || i > 4) break; // the length is not all here yet
      const end = i + 1 + len;
      if (end > pending.length) break;
      if (keep(pending[0] >> 4)) out.push(pending.subarray(0, end));
      pending = pending.subarray(end);
    }
    return Buffer.concat(out);
  };
}

/** Forwards `from` to `to`, each chunk `delay()` ms later and never ahead of the one before. */
function relay(from: Socket, to: Socket, delay: () => number, filter?: (chunk: Buffer) => Buffer): void {
  let lastAt = 0;
  const later = (fn: () => void) => {
    const at = Math.max(Date.now() + delay(), lastAt);
    lastAt = at;
    if (at <= Date.now()) fn();
    else setTimeout(fn, at - Date.now());
  };
  from.on('data', (chunk: Buffer) => {
    const bytes = filter ? filter(chunk) : chunk;
    if (bytes.length > 0) later(() => !to.destroyed && to.write(bytes));
  });
  from.on('end', () => later(() => !to.destroyed && to.end()));
}

export function startTcpProxy(targetPort: number, opts: { latencyMs?: number; dropFromClient?: number[] } = {}): Promise<TcpProxy> {
  const drop = opts.dropFromClient;
  const pairs = new Set<[Socket, Socket]>();
  let clientCloses = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    relay(client, upstream, () => proxy.latencyMs, drop ? mqttPacketFilter((type) => !drop.includes(type)) : undefined);
    relay(upstream, client, () => proxy.latencyMs);
    const done = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    let left = false;
    const clientLeft = () => {
      if (!left) clientCloses++;
      left = true;
    };
    client.on('end', clientLeft);
    client.on('error', () => (clientLeft(), done()));
    upstream.on('error', done);
    // A clean close travels as an `end` through relay(); the pair is gone once both sides have closed.
    client.once('close', () => upstream.destroyed && done());
    upstream.once('close', () => client.destroyed && done());
  });
  const proxy: TcpProxy = {
    port: 0,
    url: '',
    latencyMs: opts.latencyMs ?? 0,
    get clientCloses() {
      return clientCloses;
    },
    reset() {
      for (const [c, u] of pairs) {
        c.resetAndDestroy();
        u.destroy();
      }
      pairs.clear();
    },
    closeAll() {
      for (const [c, u] of pairs) {
        c.end();
        u.end();
      }
    },
    stop: () =>
      new Promise<void>((r) => {
        for (const [c, u] of pairs) {
          c.destroy();
          u.destroy();
        }
        server.close(() => r());
      }),
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      proxy.port = (server.address() as { port: number }).port;
      proxy.url = `mqtt://127.0.0.1:${proxy.port}`;
      resolve(proxy);
    });
  });
}
