// The roll call panel: start one over a scope in the meeting in progress, optionally asking each hall's staff to
// confirm by pressing talk within some seconds; the counts move live (asked, answered, heard, confirmed, missing)
// and the missing halls are listed (read from the stored roll call, at most once a second while it moves).
import { L } from './labels.js';
import { fill, fmt, h, throttled } from './dom.js';
import { act, panel, type Ctx } from './ctx.js';
import { ScopePicker } from './scope.js';
import type { RollcallCounts } from '../wire.js';

const SHOW_MISSING = 200;
const COUNT_KEYS: Array<keyof RollcallCounts> = ['asked', 'answered', 'heard', 'confirmed', 'missing'];

export function rollcallPanel(ctx: Ctx): HTMLElement {
  const { api, model } = ctx;
  const title = h('div', { class: 'rc-title' });
  const counts = h('div', { class: 'bigcounts rc-counts' });
  const missing = h('div', { class: 'rc-missing' });
  let shown: number | null = null;
  let latest: RollcallCounts | null = null;

  const renderCounts = (id: number, c: RollcallCounts) => {
    title.textContent = L.rollcall.title(id);
    fill(counts, ...COUNT_KEYS.map((k) => h('div', { class: `bc bc-${k}`, 'data-count': k }, h('strong', {}, fmt(c[k])), h('span', {}, L.rollcall[k]))));
  };

  const loadMissing = throttled(async () => {
    const id = shown;
    if (id === null) return;
    // A provincial page may not read a roll call covering other provinces (403): the counts are all it gets.
    const r = await api.get<{ missing: string[] }>(`/api/rollcalls/${id}`);
    if (id !== shown || latest?.missing === 0) return;
    const list = h('ul', { class: 'missing-list' });
    for (const box of r.missing.slice(0, SHOW_MISSING)) {
      const li = h('li', { 'data-box': box }, h('a', { href: '#' }, box), ' ', model.halls.get(box)?.name ?? '');
      li.addEventListener('click', (ev) => {
        ev.preventDefault();
        ctx.open(box);
      });
      list.appendChild(li);
    }
    if (r.missing.length > SHOW_MISSING) list.appendChild(h('li', { class: 'more' }, L.rollcall.more(fmt(r.missing.length - SHOW_MISSING))));
    fill(missing, h('h3', {}, L.rollcall.missingList(fmt(r.missing.length))), list);
  }, 1000);

  const follow = (id: number, c: RollcallCounts) => {
    if (shown !== null && id < shown) return;
    if (id !== shown) missing.replaceChildren();
    shown = id;
    latest = c;
    renderCounts(id, c);
    // None missing: no list to read (and an older one, read while halls were still answering, must not stay).
    if (c.missing === 0) fill(missing, h('h3', {}, L.rollcall.missingList(fmt(0))), h('ul', { class: 'missing-list' }));
    else loadMissing();
  };

  model.progressChanged.on((p) => p.rollcall && follow(p.rollcall.id, p.rollcall.counts));

  let form: HTMLElement | null = null;
  if (ctx.canAct) {
    const scope = new ScopePicker(ctx);
    const confirmS = h('input', { type: 'number', min: 0, max: 300, value: 0, class: 'rc-confirm', 'aria-label': L.rollcall.confirmS });
    const start = h('button', { class: 'primary rc-start' }, L.rollcall.start);
    const note = h('div', { class: 'muted rc-note' });
    const enable = () => {
      start.disabled = !model.meeting;
      note.textContent = model.meeting ? '' : L.rollcall.needMeeting;
    };
    model.meetingChanged.on(enable);
    enable();
    start.addEventListener('click', () => {
      const m = model.meeting;
      if (!m) return;
      const body = { scope: scope.value().scope, confirmS: Number(confirmS.value) || 0 };
      void act(ctx, () => api.post<{ id: number; counts: RollcallCounts }>(`/api/meetings/${m.id}/rollcalls`, body)).then((r) => r && model.report('rollcall', r));
    });
    form = h('div', { class: 'row wrap' }, scope.el, h('label', {}, L.rollcall.confirmS, ' ', confirmS), start, note);
  }
  return panel('rollcall', L.rollcall.heading, form, title, counts, missing);
}
