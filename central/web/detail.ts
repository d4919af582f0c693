// One hall's detail, in a drawer over the page: what it is (carrier, groups, agent and config version), its devices
// and their health, its media figures of the last minutes as a chart, telemetry, last errors and incidents; and
// what can be done to it: see and hear it (preview), call on it, suppress its incidents. Read again every 5 s while
// open, and at once when its row changes in the live feed.
import { L } from './labels.js';
import { clock, fill, h, stateBadge, throttled } from './dom.js';
import { act, type Ctx } from './ctx.js';
import { sparklines } from './chart.js';
import { Preview } from './preview.js';
import { suppressControl } from './incidents.js';
import type { HallRow } from '../wire.js';

interface Detail {
  row: HallRow;
  state: Record<string, any> | null;
  telemetry: Array<{ ts: string; cpuPct: number | null; rssMb: number | null; tempC: number | null }>;
  media: Array<{ ts: string; bitrateKbps: number | null; fps: number | null; lossPct: number | null; rttMs: number | null }>;
  errors: Array<{ ts: string; where: string; code: string; message: string }>;
  incidents: Array<{ since: string; reason: string; clearedAt: string | null; clearedBy: string | null; suppressedUntil?: string }>;
}

const REFRESH_MS = 5000;

export class HallDetail {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly previewSlot: HTMLElement;
  private box: string | null = null;
  private timer: number | null = null;
  private preview: Preview | null = null;
  private readonly reload = throttled(() => this.load(), 500);
  /** Aborted at logout: the document's listener would otherwise keep this console (its model) alive. */
  private readonly ended = new AbortController();

  constructor(private readonly ctx: Ctx) {
    const close = h('button', { class: 'detail-close', 'aria-label': L.detail.close }, '×');
    close.addEventListener('click', () => this.close());
    this.body = h('div', { class: 'detail-body' });
    this.previewSlot = h('div', { class: 'preview-slot' });
    this.el = h('aside', { class: 'detail', hidden: true, 'aria-label': 'hall' }, close, this.previewSlot, this.body);
    ctx.model.hallsChanged.on((c) => {
      if (this.box && (c.changed.has(this.box) || c.gone.has(this.box))) this.reload();
    });
    document.addEventListener('keydown', (ev) => ev.key === 'Escape' && !this.el.hidden && this.close(), { signal: this.ended.signal });
  }

  /** The preview playing in the drawer, if any. */
  get playing(): Preview | null {
    return this.preview;
  }

  show(box: string): void {
    if (box !== this.box) void this.stopPreview();
    this.box = box;
    this.el.hidden = false;
    this.el.dataset.box = box;
    const row = this.ctx.model.halls.get(box);
    if (row) this.renderHead(row);
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = window.setInterval(() => this.reload(), REFRESH_MS);
    this.reload();
  }

  close(): void {
    this.box = null;
    this.el.hidden = true;
    delete this.el.dataset.box;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    void this.stopPreview();
  }

  /** The console is left (logout): closed, and nothing of it kept by the document. */
  end(): void {
    this.close();
    this.ended.abort();
  }

  private async stopPreview(): Promise<void> {
    const p = this.preview;
    this.preview = null;
    if (p) await p.close();
  }

  private async load(): Promise<void> {
    const box = this.box;
    if (!box) return;
    try {
      const d = await this.ctx.api.get<Detail>(`/api/halls/${encodeURIComponent(box)}`);
      if (box === this.box) this.render(d);
    } catch (err) {
      if (box === this.box) fill(this.body, h('p', { class: 'error' }, (err as Error).message));
    }
  }

  private renderHead(row: HallRow): HTMLElement[] {
    const head = [h('h2', { class: 'detail-name' }, row.name), h('div', { class: 'detail-code' }, row.box, ' ', stateBadge(row.state, L.states[row.state]))];
    if (row.problem) head.push(h('div', { class: 'problem' }, row.problem));
    if (!this.body.firstChild) fill(this.body, ...head);
    return head;
  }

  private render(d: Detail): void {
    const { row, state } = d;
    const s = state ?? {};
    const kv = (k: string, v: string | Node) => h('tr', {}, h('th', {}, k), h('td', {}, v));
    const media = row.media ? L.detail.mediaLine(row.media.status, row.media.seen, row.media.heard, row.media.muted) : L.detail.none;
    const config = s.config ? `${s.config.version ?? ''} ${s.config.status ?? ''}`.trim() : L.detail.none;
    const summary = h(
      'table',
      { class: 'kv' },
      kv(L.detail.carrier, row.carrier),
      kv(L.detail.groups, row.groups.map((g) => this.ctx.model.groupName(g)).join(', ')),
      kv(L.detail.presence, row.presence),
      kv(L.detail.agent, row.version ?? L.detail.none),
      kv(L.detail.config, config),
      kv(L.detail.media, media),
      kv(L.detail.floor, row.floor ? (L.floor.status[row.floor] ?? row.floor) : L.detail.none),
    );
    fill(
      this.body,
      ...this.renderHead(row),
      this.actions(row),
      h('h3', {}, L.detail.summary),
      summary,
      h('h3', {}, L.detail.devices),
      devices(s.devices),
      h('h3', {}, L.detail.chart),
      this.chart(d),
      h('h3', {}, L.detail.telemetry),
      telemetry(d.telemetry),
      h('h3', {}, L.detail.errors),
      d.errors.length
        ? h('ul', { class: 'errors' }, ...d.errors.slice().reverse().map((e) => h('li', {}, h('span', { class: 'muted' }, clock(e.ts)), ` ${e.where}: ${e.code} ${e.message}`)))
        : h('p', { class: 'muted' }, L.detail.noErrors),
      d.incidents.length ? h('h3', {}, L.detail.incidents) : null,
      d.incidents.length
        ? h('ul', { class: 'errors' }, ...d.incidents.map((i) => h('li', {}, h('span', { class: 'muted' }, clock(i.since)), ` ${i.reason}`, i.clearedAt ? h('span', { class: 'muted' }, ` → ${clock(i.clearedAt)} ${i.clearedBy ?? ''}`) : null)))
        : null,
    );
  }

  private actions(row: HallRow): HTMLElement | null {
    if (!this.ctx.canAct) return null;
    const out = h('div', { class: 'row wrap detail-actions' });
    if (row.media?.status === 'joined') {
      const b = h('button', { class: 'primary detail-preview' }, L.detail.preview);
      b.disabled = this.preview !== null;
      b.addEventListener('click', () => void this.startPreview(row.box));
      out.appendChild(b);
    }
    if (!row.floor) {
      const call = h('button', { class: 'detail-call' }, L.floor.call);
      call.title = L.detail.callOn;
      call.addEventListener('click', () => void act(this.ctx, () => this.ctx.api.post(`/api/floor/${encodeURIComponent(row.box)}/call`)));
      out.appendChild(call);
    }
    out.appendChild(suppressControl(this.ctx, row.box));
    return out;
  }

  private async startPreview(box: string): Promise<void> {
    await this.stopPreview();
    const p = new Preview(this.ctx.api, box);
    this.preview = p;
    this.previewSlot.replaceChildren(p.el);
    await p.start();
  }

  private chart(d: Detail): HTMLElement {
    if (!d.media.length) return h('p', { class: 'muted' }, L.detail.noMedia);
    const c = h('canvas', { class: 'media-chart' });
    const t = d.media.map((m) => Date.parse(m.ts));
    sparklines(c, [
      { label: L.chart.bitrate, color: '#2f6fd6', points: d.media.map((m, i) => [t[i], m.bitrateKbps]) },
      { label: L.chart.fps, color: '#1f9d3a', points: d.media.map((m, i) => [t[i], m.fps]) },
      { label: L.chart.loss, color: '#d62f2f', points: d.media.map((m, i) => [t[i], m.lossPct]) },
      { label: L.chart.rtt, color: '#f0a020', points: d.media.map((m, i) => [t[i], m.rttMs]) },
    ]);
    return c;
  }
}

function devices(devs: Record<string, any> | undefined): HTMLElement {
  const entries = Object.entries(devs ?? {});
  if (!entries.length) return h('p', { class: 'muted' }, L.detail.noDevices);
  return h(
    'table',
    { class: 'devices' },
    h('tr', {}, h('th', {}, L.detail.device), h('th', {}, L.detail.health), h('th', {}, L.detail.message)),
    ...entries.map(([id, d]) => {
      const status = String(d?.health?.status ?? '');
      return h('tr', { 'data-device': id }, h('td', {}, id), h('td', { class: `health health-${status.replace(/\s+/g, '-')}` }, status), h('td', {}, d?.health?.message ?? ''));
    }),
  );
}

function telemetry(rows: Detail['telemetry']): HTMLElement {
  const last = rows[rows.length - 1];
  if (!last) return h('p', { class: 'muted' }, L.detail.none);
  const v = (x: number | null, unit: string) => (x === null ? L.detail.none : `${Math.round(x * 10) / 10} ${unit}`);
  return h('p', {}, `${L.detail.cpu} ${v(last.cpuPct, '%')} · ${L.detail.memory} ${v(last.rssMb, 'MB')} · ${L.detail.temperature} ${v(last.tempC, '°C')}`);
}
