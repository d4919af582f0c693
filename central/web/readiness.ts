// The readiness panel: a sweep over a scope (each hall's selftest, throttled by the server), its counts live, a bar
// per province (passed, failed, offline, pending) drawn on a canvas, the failures with their reasons, and the CSV
// report to download.
import { L } from './labels.js';
import { byName, fill, fmt, h, STATE_COLOR, throttled } from './dom.js';
import { act, panel, type Ctx } from './ctx.js';
import { ScopePicker } from './scope.js';
import { bars } from './chart.js';
import type { ReadyCounts } from '../wire.js';

const KEYS: Array<keyof ReadyCounts> = ['passed', 'failed', 'offline', 'pending'];
const COLORS: Record<keyof ReadyCounts, string> = { passed: STATE_COLOR.heard, failed: STATE_COLOR.problem, offline: STATE_COLOR.offline, pending: '#d9dde3' };
const SHOW_FAILED = 50;

interface Sweep {
  id: number;
  counts: ReadyCounts;
  byGroup: Record<string, ReadyCounts>;
  results: Array<{ box: string; status: string; reason: string | null }>;
}

export function readinessPanel(ctx: Ctx): HTMLElement {
  const { api, model } = ctx;
  const title = h('div', { class: 'rd-title' });
  const counts = h('div', { class: 'bigcounts rd-counts' });
  const chart = h('canvas', { class: 'rd-chart', hidden: true });
  const failures = h('div', { class: 'rd-failures' });
  let shown: number | null = null;

  const renderCounts = (id: number, c: ReadyCounts) => {
    fill(title, L.readiness.title(id), ' ', h('a', { href: `/api/readiness/${id}.csv`, download: `readiness-${id}.csv`, class: 'rd-csv' }, L.readiness.csv));
    fill(counts, ...KEYS.map((k) => h('div', { class: `bc bc-${k}`, 'data-count': k }, h('strong', {}, fmt(c[k])), h('span', {}, L.readiness[k]))));
  };

  const load = throttled(async () => {
    const id = shown;
    if (id === null) return;
    const r = await api.get<Sweep>(`/api/readiness/${id}`);
    if (id !== shown) return;
    const rows = Object.entries(r.byGroup)
      .sort((a, b) => byName(model.groupName(a[0]), model.groupName(b[0])))
      .map(([g, c]) => ({ label: model.groupName(g), parts: KEYS.map((k) => ({ value: c[k], color: COLORS[k] })) }));
    chart.hidden = rows.length === 0;
    bars(chart, rows, Math.max(240, chart.parentElement?.clientWidth ?? 320));
    chart.dataset.groups = String(rows.length);
    const failed = r.results.filter((x) => x.status === 'failed');
    const list = h('ul', { class: 'rd-failed' });
    for (const f of failed.slice(0, SHOW_FAILED)) {
      const li = h('li', { 'data-box': f.box }, h('a', { href: '#' }, f.box), ' ', h('span', { class: 'muted' }, f.reason ?? ''));
      li.addEventListener('click', (ev) => {
        ev.preventDefault();
        ctx.open(f.box);
      });
      list.appendChild(li);
    }
    fill(failures, failed.length ? h('h3', {}, `${L.readiness.failures} (${fmt(failed.length)})`) : null, failed.length ? list : null);
  }, 1000);

  const follow = (id: number, c: ReadyCounts) => {
    if (shown !== null && id < shown) return;
    shown = id;
    renderCounts(id, c);
    load();
  };
  model.progressChanged.on((p) => p.readiness && follow(p.readiness.id, p.readiness.counts));

  let form: HTMLElement | null = null;
  if (ctx.canAct) {
    const scope = new ScopePicker(ctx);
    const seconds = h('input', { type: 'number', min: 1, max: 30, value: 3, class: 'rd-seconds', 'aria-label': L.readiness.seconds });
    const start = h('button', { class: 'primary rd-start' }, L.readiness.start);
    start.addEventListener('click', () => {
      const body = { scope: scope.value().scope, seconds: Number(seconds.value) || 3 };
      void act(ctx, () => api.post<{ id: number; counts: ReadyCounts }>('/api/readiness', body)).then((r) => r && model.report('readiness', r));
    });
    form = h('div', { class: 'row wrap' }, scope.el, h('label', {}, L.readiness.seconds, ' ', seconds), start);
  }
  return panel('readiness', L.readiness.heading, form, title, counts, chart, failures);
}
