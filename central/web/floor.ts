// The floor queue as the server holds it (one order, the same on every page): who asks, who is on air, who was
// called on, who declined; grant, revoke, and call on a hall by its code. A command the hall refused shows its
// error under the entry.
import { L } from './labels.js';
import { clock, fill, h } from './dom.js';
import { act, panel, type Ctx } from './ctx.js';
import type { QueueEntry } from '../wire.js';

export function floorPanel(ctx: Ctx): HTMLElement {
  const { api, model } = ctx;
  const list = h('ol', { class: 'floor-queue' });
  const send = (box: string, what: 'grant' | 'revoke' | 'call') => act(ctx, () => api.post(`/api/floor/${encodeURIComponent(box)}/${what}`));

  const entry = (e: QueueEntry, i: number): HTMLElement => {
    const buttons: HTMLElement[] = [];
    if (ctx.canAct) {
      if (e.status === 'requested' || e.status === 'declined') {
        const g = h('button', { class: 'primary floor-grant' }, L.floor.grant);
        g.addEventListener('click', () => void send(e.box, 'grant'));
        buttons.push(g);
      }
      const r = h('button', { class: 'floor-revoke' }, L.floor.revoke);
      r.addEventListener('click', () => void send(e.box, 'revoke'));
      buttons.push(r);
    }
    const name = h('a', { href: '#', class: 'floor-name' }, e.name);
    name.addEventListener('click', (ev) => {
      ev.preventDefault();
      ctx.open(e.box);
    });
    return h(
      'li',
      { class: `floor-entry floor-${e.status}`, 'data-box': e.box, 'data-status': e.status },
      h('span', { class: 'floor-pos' }, String(i + 1)),
      h('span', { class: 'floor-who' }, name, ' ', h('span', { class: 'muted' }, e.box)),
      h('span', { class: `badge badge-${e.status}` }, L.floor.status[e.status] ?? e.status),
      h('span', { class: 'muted floor-at' }, clock(e.requestedAt)),
      h('span', { class: 'row' }, ...buttons),
      e.error ? h('div', { class: 'error floor-error' }, e.error) : null,
    );
  };

  const render = (queue: QueueEntry[]) => {
    if (!queue.length) fill(list, h('li', { class: 'muted empty' }, L.floor.empty));
    else fill(list, ...queue.map(entry));
  };
  model.floorChanged.on(render);
  render(model.floor);

  let form: HTMLElement | null = null;
  if (ctx.canAct) {
    const code = h('input', { class: 'floor-code', placeholder: L.floor.callCode, 'aria-label': L.floor.callCode, pattern: '[a-z0-9][a-z0-9\\-]{0,62}' });
    form = h('form', { class: 'row' }, code, h('button', { type: 'submit', class: 'floor-call' }, L.floor.call));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const box = code.value.trim();
      if (box) void send(box, 'call').then((r) => r && (code.value = ''));
    });
  }
  return panel('floor', L.floor.heading, list, form);
}
