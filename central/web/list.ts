// The list view, virtualized: the rows are a tall empty box, and only the rows in sight (and a few more) are in the
// DOM, so 10,400 halls cost as much as 40. Sortable by code, name or state (click a heading, again to reverse);
// filtered like the wall. The order is rebuilt at most once per frame when halls change.
import { L } from './labels.js';
import { h, stateBadge, STATE_ORDER } from './dom.js';
import { provinceOf, type Model } from './model.js';
import type { Filter } from './filter.js';
import type { HallRow } from '../wire.js';

/** Row height in px (style.css .list-row). */
export const ROW_PX = 26;
const OVERSCAN = 8;

type SortKey = 'box' | 'name' | 'state';
const RANK = new Map(STATE_ORDER.map((s, i) => [s, i]));

const COLUMNS: Array<{ key: keyof typeof L.list; sort?: SortKey; cell: (r: HallRow, m: Model) => Node | string }> = [
  { key: 'code', sort: 'box', cell: (r) => r.box },
  { key: 'name', sort: 'name', cell: (r) => r.name },
  { key: 'state', sort: 'state', cell: (r) => stateBadge(r.state, L.states[r.state]) },
  { key: 'province', cell: (r, m) => m.groupName(provinceOf(r)) },
  { key: 'carrier', cell: (r) => r.carrier },
  { key: 'media', cell: (r) => (r.media ? L.detail.mediaLine(r.media.status, r.media.seen, r.media.heard, r.media.muted) : '') },
  { key: 'floor', cell: (r) => (r.floor ? (L.floor.status[r.floor] ?? r.floor) : '') },
  { key: 'version', cell: (r) => r.version ?? '' },
  { key: 'problem', cell: (r) => r.problem ?? '' },
];

export class HallList {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rows: HTMLElement;
  private order: string[] = [];
  private sort: SortKey = 'box';
  private desc = false;
  private orderDue = true;
  private frame: number | null = null;
  private readonly heads = new Map<SortKey, HTMLElement>();

  constructor(
    private readonly model: Model,
    private readonly filter: Filter,
    private readonly open: (box: string) => void,
  ) {
    const head = h(
      'div',
      { class: 'list-head list-row', role: 'row' },
      ...COLUMNS.map((c) => {
        if (!c.sort) return h('span', { class: `col col-${c.key}`, role: 'columnheader' }, L.list[c.key]);
        const sort = c.sort;
        const b = h('button', { class: `col col-${c.key} sort`, role: 'columnheader', 'data-sort': sort }, L.list[c.key]);
        b.addEventListener('click', () => {
          this.desc = this.sort === sort ? !this.desc : false;
          this.sort = sort;
          this.orderDue = true;
          this.schedule();
        });
        this.heads.set(sort, b);
        return b;
      }),
    );
    this.spacer = h('div', { class: 'list-spacer' });
    this.rows = h('div', { class: 'list-rows', role: 'rowgroup' });
    this.scroller = h('div', { class: 'list-scroll' }, this.spacer, this.rows);
    this.el = h('div', { class: 'list', role: 'table' }, head, this.scroller);
    this.scroller.addEventListener('scroll', () => this.schedule());
    model.hallsChanged.on(() => {
      this.orderDue = true;
      this.schedule();
    });
    filter.onChange(() => {
      this.orderDue = true;
      this.scroller.scrollTop = 0;
      this.schedule();
    });
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** The boxes in the list's current order (what the rows show, top to bottom). */
  get boxes(): readonly string[] {
    return this.order;
  }

  private schedule(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      if (!this.el.isConnected || this.el.hidden) return; // hidden; the resize on showing brings it back (not offsetParent: a forced layout)
      if (this.orderDue) this.reorder();
      this.render();
    });
  }

  private reorder(): void {
    this.orderDue = false;
    const out: HallRow[] = [];
    for (const r of this.model.halls.values()) if (this.filter.matches(r, this.model.keys.get(r.box))) out.push(r);
    const by = this.sort;
    const cmp =
      by === 'state'
        ? (a: HallRow, b: HallRow) => RANK.get(a.state)! - RANK.get(b.state)! || (a.box < b.box ? -1 : 1)
        : (a: HallRow, b: HallRow) => (a[by] < b[by] ? -1 : a[by] > b[by] ? 1 : 0);
    out.sort(this.desc ? (a, b) => cmp(b, a) : cmp);
    this.order = out.map((r) => r.box);
    this.spacer.style.height = `${this.order.length * ROW_PX}px`;
    for (const [k, el] of this.heads) el.dataset.dir = k === by ? (this.desc ? 'desc' : 'asc') : '';
  }

  private render(): void {
    const top = this.scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    const last = Math.min(this.order.length, Math.ceil((top + this.scroller.clientHeight) / ROW_PX) + OVERSCAN);
    const els: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.model.halls.get(this.order[i]);
      if (!row) continue;
      const el = h('div', { class: 'list-row', role: 'row', 'data-box': row.box }, ...COLUMNS.map((c) => h('span', { class: `col col-${c.key}`, role: 'cell' }, c.cell(row, this.model))));
      el.style.top = `${i * ROW_PX}px`;
      el.addEventListener('click', () => this.open(row.box));
      els.push(el);
    }
    this.rows.replaceChildren(...els);
  }
}
