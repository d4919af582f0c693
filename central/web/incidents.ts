// Open incidents (a hall not heard in a meeting past the server's waiting time), oldest first, each with a way to
// suppress that hall's incidents for a while (a hall known to be out).
import { L } from './labels.js';
import { clock, fill, h } from './dom.js';
import { act, panel, type Ctx } from './ctx.js';
import type { Incident } from '../wire.js';

export const SUPPRESS_MINUTES = [15, 60, 240];

/** A minutes select and a Suppress button for `box`. */
export function suppressControl(ctx: Ctx, box: string): HTMLElement {
  const minutes = h('select', { class: 'suppress-minutes', 'aria-label': L.incidents.suppress }, ...SUPPRESS_MINUTES.map((m) => h('option', { value: m }, L.incidents.minutes(m))));
  const b = h('button', { class: 'suppress' }, L.incidents.suppress);
  b.addEventListener('click', () => void act(ctx, () => ctx.api.post(`/api/incidents/${encodeURIComponent(box)}/suppress`, { minutes: Number(minutes.value) })));
  return h('span', { class: 'row' }, minutes, b);
}

export function incidentsPanel(ctx: Ctx): HTMLElement {
  const list = h('ul', { class: 'incidents' });
  const render = (items: Incident[]) => {
    if (!items.length) return fill(list, h('li', { class: 'muted empty' }, L.incidents.empty));
    fill(
      list,
      ...items.map((i) => {
        const name = h('a', { href: '#' }, i.name);
        name.addEventListener('click', (ev) => {
          ev.preventDefault();
          ctx.open(i.box);
        });
        return h(
          'li',
          { class: 'incident', 'data-box': i.box },
          h('div', {}, name, ' ', h('span', { class: 'muted' }, i.box)),
          h('div', { class: 'problem' }, i.reason, ' ', h('span', { class: 'muted' }, L.incidents.since(clock(i.since)))),
          ctx.canAct ? suppressControl(ctx, i.box) : null,
        );
      }),
    );
  };
  ctx.model.incidentsChanged.on(render);
  render(ctx.model.incidents);
  return panel('incidents-panel', L.incidents.heading, list);
}
