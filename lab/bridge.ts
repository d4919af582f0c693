// The demo's central bridge: a real Janus in its own network namespace (Janus gathers no ICE candidates on loopback
// alone), linked to this machine by a veth pair. Needs root for the namespace; without it the demo runs without
// media and says why.
import { startLocalJanus } from './janus.js';

export interface DemoBridge {
  url: string;
  room: number;
  stop(): Promise<void>;
}

export async function startDemoBridge(): Promise<DemoBridge | { reason: string }> {
  if (process.getuid?.() !== 0) return { reason: 'the local bridge (Janus) runs in a network namespace, which needs root' };
  try {
    const janus = await startLocalJanus();
    return { url: janus.url, room: janus.rooms[0], stop: janus.stop };
  } catch (err) {
    return { reason: `the local bridge did not start: ${(err as Error).message.split('\n')[0]}` };
  }
}
