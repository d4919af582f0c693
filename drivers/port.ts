// A byte port: the one interface every driver speaks through. Real implementations: serial (serialport), TCP and
// UDP; tests and the demo put a simulator at the other end of a real pty or socket.
import type { EventEmitter } from 'node:events';

/**
 * Events:
 *  - 'data' (chunk: Buffer)
 *  - 'close' (err?: Error): the port went away (unplugged, peer closed). The driver reports `missing` and reopens.
 */
export interface BytePort extends EventEmitter {
  /** Human name for messages: `/dev/ttyUSB0`, `tcp://10.0.0.5:1515`, `udp://10.0.0.9:52381`. */
  readonly name: string;
  readonly isOpen: boolean;
  /** Rejects with DisconnectedError naming the port when it cannot be opened (missing, locked). */
  open(): Promise<void>;
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}
