// A TCP relay between the agent and the broker that a test can cut two ways: a reset (what a box sees when its own
// link fails) or a clean close (what every box sees when the broker shuts down). It can also slow the link down:
// with `latencyMs` every chunk is held that long in each direction, in order, as on a 3G uplink, and a side that
// closes cleanly has its bytes still on the way delivered before the close reaches the other side.
import { createServer, connect, type Socket, type Server } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** One-way delay of every chunk, ms; may be changed while connections are open (takes effect for new chunks). */
  latencyMs: number;
  /** Relayed connections the client (the agent) has closed or reset so far, counted when its FIN or RST arrives. */
  readonly clientCloses: number;
  /**
   * Reset every relayed connection (RST), as a failing link does. Returns each one's state just before, for a test
   * to print when the other end saw something else (the client's port; which sides had ended or were destroyed).
   */
  reset(): string[];
  /** Close every relayed connection cleanly (FIN), as a broker shutting down does. */
  closeAll(): void;
  stop(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk `delay()` ms later and never ahead of the one before. */
function relay(from: Socket, to: Socket, delay: () => number): void {
  let lastAt = 0;
  const later = (fn: () => void) => {
    const at = Math.max(Date.now() + delay(), lastAt);
    lastAt = at;
    if (at <= Date.now()) fn();
    else setTimeout(fn, at - Date.now());
  };
  from.on('data', (chunk: Buffer) => later(() => !to.destroyed && to.write(chunk)));
  from.on('end', () => later(() => !to.destroyed && to.end()));
}

export function startTcpProxy(targetPort: number, opts: { latencyMs?: number } = {}): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  /** Sockets whose peer has closed its side (FIN): reset() reports them. */
  const ended = new WeakSet<Socket>();
  let clientCloses = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.once('end', () => ended.add(client));
    upstream.once('end', () => ended.add(upstream));
    relay(client, upstream, () => proxy.latencyMs);
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
      const said = (x: Socket) => (ended.has(x) ? 'ended' : '') + (x.destroyed ? ' destroyed' : '') || 'open';
      const states = [...pairs].map(([c, u]) => `client :${c.remotePort} ${said(c)}, upstream ${said(u)}`);
      for (const [c, u] of pairs) {
        c.resetAndDestroy();
        u.destroy();
      }
      pairs.clear();
      return states;
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
