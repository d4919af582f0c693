// A TCP listener whose accept queue is full, as an overwhelmed broker's is: the kernel drops every SYN that comes
// (tcp_abort_on_overflow is 0), and the client's kernel sends it again 1, 3, 7 and 15 s later. A small Python
// process listens with a backlog of 0 and never accepts; one connection of our own fills the queue.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { stopChild } from '../core/stop-child.js';
import { dieWithTest } from './die-with-test.js';

const HOLDER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(0)
print('listening', flush=True)
sys.stdin.read()
`;

export interface FullListener {
  stop(): Promise<void>;
}

/** Listens on `port` (127.0.0.1) with its accept queue full; `stop()` closes it. */
export async function fullListener(port: number): Promise<FullListener> {
  const proc = dieWithTest(spawn('python3', ['-c', HOLDER, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`full listener on port ${port}: python3 exited (${code})`)));
  });
  // The queue holds one connection the listener never takes (backlog 0): ours.
  const filler: Socket = await new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return {
    async stop() {
      filler.destroy();
      await stopChild(proc, 'SIGKILL', 1000);
    },
  };
}
