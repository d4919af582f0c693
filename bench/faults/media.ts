// The meeting's faults: the bridge (Janus) gone, the media worker killed.
import { readFileSync } from 'node:fs';
import type { Fault, FaultContext } from './runner.js';
import type { Sample } from './timeline.js';

/** The agent's child processes: its media worker (the camera's socat pty is a child too). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const isWorker = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker');
  } catch {
    return false;
  }
};

export function workerPid(agentPid: number): number | null {
  return children(agentPid).find(isWorker) ?? null;
}

const notJoined = (ctx: FaultContext) => ctx.timeline.firstSample((s) => s.state?.media?.status !== 'joined', ctx.start)?.at ?? null;

/** The media state may lag what happened by this much; past it, `joined` while the media is down is a lie. */
const MEDIA_GRACE_MS = 10_000;

/** Janus stopped (every session gone) and started again in its namespace after `downS`. */
export function bridgeGone(downS: number): Fault {
  return {
    name: 'bridge gone',
    how: `Janus stopped and started again in its namespace ${downS} s later (every session lost)`,
    inflict: (ctx) => ctx.world.janus.restart(downS * 1000),
    detected: notJoined,
    lie: (ctx, s) => (s.state?.media?.status === 'joined' && s.at > ctx.start + MEDIA_GRACE_MS && s.at < ctx.end ? 'media joined while the bridge was down' : null),
  };
}

/** The media worker killed with SIGKILL in the middle of the meeting. */
export function workerKilled(): Fault {
  let killed: number | null = null;
  return {
    name: 'media worker killed',
    how: 'kill -9 of the media worker (the agent\'s child process)',
    async inflict(ctx) {
      killed = workerPid(ctx.hall.agent.proc.pid!);
      if (killed === null) throw new Error('media worker killed: the agent has no worker child');
      process.kill(killed, 'SIGKILL');
    },
    detected: (ctx) => ctx.timeline.firstLine((l) => l.msg === 'media worker crashed; restarting', ctx.start)?.at ?? null,
    back: (ctx, s: Sample) => {
      const now = workerPid(s.agent.proc.pid!);
      return now !== null && now !== killed;
    },
    // Joined again before a new worker was up would be the old report kept: the media state must have left `joined`.
    lie: (ctx, s) => {
      const now = workerPid(s.agent.proc.pid!);
      const left = notJoined(ctx);
      return s.state?.media?.status === 'joined' && s.at > ctx.start + MEDIA_GRACE_MS && (now === null || left === null) ? 'media joined with no new worker in the meeting' : null;
    },
  };
}
