// What the bench sees of a hall over time, sampled every 100 ms: the retained picture an operator's system holds
// (the last `presence` and `state` the broker has, as the operator's client received them), whether that client is
// connected at all, and how far the agent's log has come (so a log line's arrival is known to within a sample).
import type { World, Hall } from './world.js';
import type { AgentProcess } from '../../lab/agent-process.js';

export interface Sample {
  at: number;
  /** The operator's client is connected: the retained picture can be read. */
  obsUp: boolean;
  presence: string | null;
  state: any;
  agent: AgentProcess;
  logLen: number;
  /** The agent is running and its link is up, by the last link line it had logged. */
  linkUp: boolean;
}

export type LogLine = Record<string, unknown>;

export class Timeline {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private seen = 0;
  private presence: string | null = null;
  private state: any = null;

  constructor(
    private readonly world: World,
    private readonly hall: Hall,
  ) {}

  start(everyMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the messages that came since the last sample: the last of each topic is what the broker retains. */
  sample(): Sample {
    const msgs = this.world.obs.messages;
    for (; this.seen < msgs.length; this.seen++) {
      const m = msgs[this.seen];
      if (m.topic === this.hall.topic('presence')) this.presence = m.json?.state ?? null;
      else if (m.topic === this.hall.topic('state') && m.json) this.state = m.json;
    }
    const s: Sample = {
      at: Date.now(),
      obsUp: this.world.obs.client.connected,
      presence: this.presence,
      state: this.state,
      agent: this.hall.agent,
      logLen: this.hall.agent.lines.length,
      linkUp: linkUp(this.hall.agent),
    };
    this.samples.push(s);
    return s;
  }

  now(): Sample {
    return this.samples[this.samples.length - 1] ?? this.sample();
  }

  /** The first line of the hall's current agent, logged at or after `since`, that matches; with when it arrived. */
  firstLine(pred: (l: LogLine) => boolean, since: number): { at: number; line: LogLine } | null {
    const agent = this.hall.agent;
    const from = this.samples.filter((s) => s.agent === agent && s.at < since).at(-1)?.logLen ?? 0;
    for (let i = from; i < agent.lines.length; i++) {
      if (!pred(agent.lines[i])) continue;
      const at = this.samples.find((s) => s.agent === agent && s.logLen > i)?.at ?? Date.now();
      return { at, line: agent.lines[i] };
    }
    return null;
  }

  /** The first sample at or after `since` for which `pred` holds. */
  firstSample(pred: (s: Sample) => boolean, since: number): Sample | null {
    return this.samples.find((s) => s.at >= since && pred(s)) ?? null;
  }
}

function linkUp(agent: AgentProcess): boolean {
  if (agent.proc.exitCode !== null || agent.proc.signalCode !== null) return false;
  for (let i = agent.lines.length - 1; i >= 0; i--) {
    const msg = agent.lines[i].msg;
    if (msg === 'registered with broker') return true;
    if (msg === 'broker link dropped' || msg === 'broker connect failed') return false;
  }
  return false;
}
