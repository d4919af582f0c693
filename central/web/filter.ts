// The filter both views apply: a group, a visual state, and text found in the hall's code or name (without
// diacritics, as the server searches). The toolbar that sets it lives here too.
import { L } from './labels.js';
import { fmt, h, searchKey, STATE_ORDER } from './dom.js';
import type { Model } from './model.js';
import type { HallRow, Visual } from '../wire.js';

export class Filter {
  group = '';
  state: Visual | '' = '';
  private q = '';
  private readonly fns: Array<() => void> = [];

  get query(): string {
    return this.q;
  }

  set query(text: string) {
    this.q = searchKey(text.trim());
  }

  get active(): boolean {
    return this.group !== '' || this.state !== '' || this.q !== '';
  }

  matches(row: HallRow, key: string | undefined): boolean {
    if (this.group && !row.groups.includes(this.group)) return false;
    if (this.state && row.state !== this.state) return false;
    if (this.q && !(key ?? searchKey(`${row.box} ${row.name}`)).includes(this.q)) return false;
    return true;
  }

  onChange(fn: () => void): void {
    this.fns.push(fn);
  }

  changed(): void {
    for (const fn of this.fns) fn();
  }
}

/** Group and state selects, the search box, and "N of M halls". */
export function filterBar(model: Model, filter: Filter): HTMLElement {
  const group = h('select', { 'aria-label': L.filter.group, class: 'f-group' });
  const state = h(
    'select',
    { 'aria-label': L.filter.state, class: 'f-state' },
    h('option', { value: '' }, L.filter.anyState),
    ...STATE_ORDER.map((s) => h('option', { value: s }, L.states[s])),
  );
  const search = h('input', { type: 'search', placeholder: L.filter.search, 'aria-label': L.filter.search, class: 'f-search' });
  const shown = h('span', { class: 'f-shown' });
  let groupsKey = '';
  let version = -1;
  const fillGroups = () => {
    if (version === model.groupsVersion) return; // counts moved, not the groups
    version = model.groupsVersion;
    const gs = [...model.groupsOf('province'), ...model.groupsOf('other')];
    const key = gs.map((g) => g.group + g.name).join('|');
    if (key === groupsKey) return;
    groupsKey = key;
    group.replaceChildren(h('option', { value: '' }, L.filter.anyGroup), ...gs.map((g) => h('option', { value: g.group }, g.name)));
    group.value = filter.group;
  };
  const count = () => {
    let n = 0;
    if (!filter.active) n = model.halls.size;
    else for (const row of model.halls.values()) if (filter.matches(row, model.keys.get(row.box))) n++;
    const text = L.filter.showing(fmt(n), fmt(model.halls.size));
    if (shown.textContent !== text) shown.textContent = text; // an equal write would still cost a layout
  };
  let timer: number | null = null;
  let counting = false;
  const countSoon = () => {
    if (counting) return;
    counting = true;
    requestAnimationFrame(() => {
      counting = false;
      count();
    });
  };
  group.addEventListener('change', () => {
    filter.group = group.value;
    filter.changed();
  });
  state.addEventListener('change', () => {
    filter.state = state.value as Visual | '';
    filter.changed();
  });
  search.addEventListener('input', () => {
    if (timer !== null) clearTimeout(timer);
    timer = window.setTimeout(() => {
      filter.query = search.value;
      filter.changed();
    }, 150);
  });
  filter.onChange(() => {
    group.value = filter.group;
    state.value = filter.state;
    count();
  });
  model.groupsChanged.on(fillGroups);
  model.hallsChanged.on(countSoon);
  fillGroups();
  return h('div', { class: 'filterbar' }, group, state, search, shown);
}
