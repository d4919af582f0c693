// A TCP relay between the agent and the broker that a test can cut two ways: a reset (what a box sees when its own
// link fails) or a clean close (what every box sees when the broker shuts down).
import { createServer, connect, type Socket, type Server } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Reset every relayed connection (RST), as a failing link does. */
  reset(): void;
  /** Close every relayed connection cleanly (FIN), as a broker shutting down does. */
  closeAll(): void;
  stop(): Promise<void>;
}

export function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        url: `mqtt://127.0.0.1:${port}`,
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
      });
    });
  });
}
