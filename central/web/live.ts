// The live feed (`GET /api/live`, the session cookie goes with it): a snapshot, then batched diffs, applied to the
// model. When the connection drops the page says so and connects again (1 s, doubling to 15 s); the new snapshot
// replaces everything. The page sends nothing but pings.
import type { Model } from './model.js';
import type { LiveMessage } from '../wire.js';

const PING_MS = 20_000;

export class Live {
  private ws: WebSocket | null = null;
  private retryMs = 1000;
  private retryTimer: number | null = null;
  private pingTimer: number | null = null;
  private stopped = false;
  /** Told whether the feed is up (the header shows it), and when a connection is refused (maybe logged out). */
  onStatus: (up: boolean) => void = () => {};
  onDropped: () => void = () => {};

  constructor(private readonly model: Model) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.ws?.close();
    this.ws = null;
  }

  private connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`;
    const ws = new WebSocket(url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retryMs = 1000;
      this.onStatus(true);
      this.pingTimer = window.setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), PING_MS);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      this.model.apply(JSON.parse(ev.data) as LiveMessage);
    };
    ws.onclose = () => {
      if (this.pingTimer !== null) clearInterval(this.pingTimer);
      this.pingTimer = null;
      if (this.stopped || this.ws !== ws) return;
      this.onStatus(false);
      if (!opened) this.onDropped();
      this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 15_000);
    };
  }
}
