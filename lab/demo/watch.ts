// What an operator's screen sees of the halls: presence, state and telemetry from the broker, as a table.
import mqtt, { type MqttClient } from 'mqtt';

export interface HallView {
  id: string;
  online: boolean | null;
  /** When `online` was last seen (ms since epoch). */
  onlineAt: number | null;
  state: Record<string, any> | null;
  telemetryAt: number | null;
  rssMb: number | null;
}

export class FleetWatch {
  readonly halls = new Map<string, HallView>();
  private client: MqttClient | null = null;

  constructor(private readonly brokerUrl: string) {}

  start(): Promise<void> {
    const c = mqtt.connect(this.brokerUrl, { protocolVersion: 5, clientId: `demo-watch-${process.pid}`, reconnectPeriod: 500 });
    this.client = c;
    c.on('message', (topic, payload) => this.onMessage(topic, payload));
    return new Promise((resolve, reject) => {
      c.once('connect', () => {
        c.subscribe(['diemcau/v1/+/presence', 'diemcau/v1/+/state', 'diemcau/v1/+/telemetry'], { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
      c.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }

  private view(id: string): HallView {
    let v = this.halls.get(id);
    if (!v) {
      v = { id, online: null, onlineAt: null, state: null, telemetryAt: null, rssMb: null };
      this.halls.set(id, v);
    }
    return v;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const [, , id, kind] = topic.split('/');
    if (payload.length === 0) return;
    let msg: any;
    try {
      msg = JSON.parse(payload.toString());
    } catch {
      return;
    }
    const v = this.view(id);
    if (kind === 'presence') {
      v.online = msg.state === 'online';
      if (v.online) v.onlineAt = Date.now();
    }
    else if (kind === 'state') v.state = msg;
    else if (kind === 'telemetry') {
      v.telemetryAt = Date.now();
      v.rssMb = msg.rssMb ?? null;
    }
  }
}

function devicesSummary(state: Record<string, any> | null): string {
  const devs = state?.devices as Record<string, any> | undefined;
  if (!devs || Object.keys(devs).length === 0) return '-';
  const short: Record<string, string> = { camera: 'cam', display: 'disp', panel: 'panel' };
  return Object.entries(devs)
    .map(([id, d]) => {
      const h = d?.health?.status ?? '?';
      let extra = '';
      if (id === 'camera' && d.pan !== undefined) extra = ` p${d.pan}/t${d.tilt}`;
      if (id === 'display' && d.power !== undefined) extra = ` ${d.power}${d.input ? ':' + d.input : ''}`;
      return `${short[id] ?? id}:${h}${extra}`;
    })
    .join(' ');
}

function mediaSummary(state: Record<string, any> | null): string[] {
  const m = state?.media;
  if (!m || m.status === 'idle' || m.status === undefined) return ['-', '-', '-', '-'];
  const s = m.stats ?? {};
  return [m.seen ? 'yes' : 'no', m.heard ? 'yes' : 'no', s.fps !== undefined ? String(Math.round(s.fps)) : '-', s.bitrateKbps !== undefined ? String(Math.round(s.bitrateKbps)) : '-'];
}

export function renderTable(views: HallView[], names: Map<string, string>, now = Date.now()): string {
  const head = ['hall', 'name', 'online', 'devices', 'seen', 'heard', 'fps', 'kbps', 'config', 'rss MB', 'telem'];
  const rows = views.map((v) => {
    const cfg = v.state?.config;
    return [
      v.id,
      (names.get(v.id) ?? v.state?.hall?.name ?? '').slice(0, 28),
      v.online === null ? '…' : v.online ? 'online' : 'OFFLINE',
      devicesSummary(v.state),
      ...mediaSummary(v.state),
      cfg ? `v${cfg.version} ${cfg.status}` : '-',
      v.rssMb === null ? '-' : v.rssMb.toFixed(1),
      v.telemetryAt === null ? '-' : `${((now - v.telemetryAt) / 1000).toFixed(0)}s ago`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
