// The wall: one canvas grid per province, every hall a cell coloured by its state, all of them at once. Provinces
// are tiles side by side; the cell size is the largest with which every tile fits in the view (10,400 halls in 34
// provinces get small cells, a demo's five get big ones).
// Diffs from the live feed only mark cells; one requestAnimationFrame paints the marked cells (a layout is rebuilt
// only when halls appear, go or change province, or the view is resized or filtered). Hover shows the hall, a
// click opens its detail. Halls the filter leaves out are drawn faded; a province filter shows that grid alone.
// The first time after a snapshot that every hall is drawn, the page marks it (performance mark WALL_DRAWN), so that
// the time from page load to the whole wall can be read from outside (the console bench).
import { L } from './labels.js';
import { byName, FADED_COLOR, fmt, h, STATE_COLOR, type Pace } from './dom.js';
import { provinceOf, type Model } from './model.js';
import type { Filter } from './filter.js';

/** Height of a grid's heading in px (style.css .grid-head). */
const HEAD_PX = 22;
const MAX_CELL = 18;
const MIN_CELL = 3;
/** The performance mark set when the wall first has every hall of a snapshot drawn; detail: {halls}. */
export const WALL_DRAWN = 'diemcau:wall-drawn';

interface Grid {
  group: string;
  boxes: string[];
  index: Map<string, number>;
  cols: number;
  head: HTMLElement;
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  section: HTMLElement;
}

export class Wall {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly tip: HTMLElement;
  private grids: Grid[] = [];
  private gridOf = new Map<string, Grid>();
  private cell = 10;
  private dirty = new Set<string>();
  private layoutDue = true;
  private frame: number | null = null;
  /** Whether every hall of the last snapshot has been drawn (and WALL_DRAWN marked). */
  private drawnSinceSnapshot = false;
  /** Paint counts, for the curious and the tests: full repaints of the wall, and cells painted one by one. */
  readonly stats = { layouts: 0, cellsPainted: 0 };

  constructor(
    private readonly model: Model,
    private readonly filter: Filter,
    private readonly open: (box: string) => void,
    countsPace: Pace,
  ) {
    this.tip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
    this.body = h('div', { class: 'wall-body' });
    this.el = h('div', { class: 'wall' }, this.body, this.tip);
    model.hallsChanged.on((c) => {
      if (c.snapshot) this.drawnSinceSnapshot = false;
      if (c.structural) this.layoutDue = true;
      else for (const b of c.changed) this.dirty.add(b);
      this.schedule();
    });
    // The headings' counts at the counts' pace (dom.ts Pace), in the same frame as the chips'.
    const headsDue = new Set<string>();
    countsPace.on(() => {
      for (const g of headsDue) {
        const grid = this.gridOf.get(g);
        if (grid) this.writeHead(grid);
      }
      headsDue.clear();
    });
    model.groupsChanged.on((groups) => {
      for (const g of groups) if (this.gridOf.has(g)) headsDue.add(g);
      countsPace.kick();
    });
    filter.onChange(() => {
      this.layoutDue = true;
      this.schedule();
    });
    new ResizeObserver(() => {
      this.layoutDue = true;
      this.schedule();
    }).observe(this.el);
  }

  /** Where a hall's cell is (its grid's group and the cell's centre in canvas pixels), or null if not drawn. */
  locate(box: string): { group: string; x: number; y: number; cell: number } | null {
    const row = this.model.halls.get(box);
    const grid = row && this.gridOf.get(provinceOf(row));
    const i = grid?.index.get(box);
    if (!grid || i === undefined || grid.section.hidden) return null;
    const c = this.cell;
    return { group: grid.group, x: (i % grid.cols) * c + Math.floor((c - 1) / 2), y: Math.floor(i / grid.cols) * c + Math.floor((c - 1) / 2), cell: c };
  }

  private schedule(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      // Hidden (the list is shown): painted when shown (resize). Not offsetParent: reading it here would force a
      // layout in every frame a diff arrives, before the other views have written theirs.
      if (!this.el.isConnected || this.el.hidden) return;
      if (this.layoutDue) this.layout();
      else this.paintDirty();
    });
  }

  private layout(): void {
    this.layoutDue = false;
    this.dirty.clear();
    this.stats.layouts++;
    const by = new Map<string, string[]>();
    for (const row of this.model.halls.values()) {
      const g = provinceOf(row);
      let list = by.get(g);
      if (!list) by.set(g, (list = []));
      list.push(row.box);
    }
    const keep = this.filter.group.startsWith('p-') ? this.filter.group : null;
    const groups = [...by.keys()]
      .filter((g) => keep === null || g === keep)
      .sort((a, b) => (a === '' ? 1 : b === '' ? -1 : byName(this.model.groupName(a), this.model.groupName(b)) || a.localeCompare(b)));
    const width = Math.max(100, this.body.clientWidth - 2);
    const height = Math.max(100, this.el.clientHeight - 8);
    const fit = fitLayout(groups.map((g) => by.get(g)!.length), width, height);
    this.cell = fit.cell;
    this.body.style.gridTemplateColumns = `repeat(${fit.perRow}, ${fit.tileWidth}px)`;
    const old = this.gridOf;
    this.gridOf = new Map();
    this.grids = groups.map((g) => {
      const boxes = by.get(g)!.sort();
      const grid = old.get(g) ?? this.makeGrid(g);
      grid.boxes = boxes;
      grid.index = new Map(boxes.map((b, i) => [b, i]));
      grid.cols = Math.max(1, Math.floor(fit.tileWidth / this.cell));
      this.gridOf.set(g, grid);
      return grid;
    });
    this.body.replaceChildren(...this.grids.map((g) => g.section));
    if (!this.grids.length) this.body.replaceChildren(h('p', { class: 'empty' }, L.wall.empty));
    let drawn = 0;
    for (const grid of this.grids) {
      const rows = Math.ceil(grid.boxes.length / grid.cols);
      grid.canvas.width = Math.min(grid.boxes.length, grid.cols) * this.cell;
      grid.canvas.height = rows * this.cell;
      this.writeHead(grid);
      for (let i = 0; i < grid.boxes.length; i++) this.paint(grid, i);
      drawn += grid.boxes.length;
    }
    if (!this.drawnSinceSnapshot && drawn > 0 && drawn === this.model.halls.size) {
      this.drawnSinceSnapshot = true;
      performance.mark(WALL_DRAWN, { detail: { halls: drawn } });
    }
  }

  private paintDirty(): void {
    for (const box of this.dirty) {
      const row = this.model.halls.get(box);
      const grid = row && this.gridOf.get(provinceOf(row));
      const i = grid?.index.get(box);
      if (grid && i !== undefined) {
        this.paint(grid, i);
        this.stats.cellsPainted++;
      }
    }
    this.dirty.clear();
  }

  private paint(grid: Grid, i: number): void {
    const row = this.model.halls.get(grid.boxes[i]);
    if (!row) return;
    const c = this.cell;
    const gap = c >= 5 ? 1 : 0;
    const shown = !this.filter.active || this.filter.matches(row, this.model.keys.get(row.box));
    grid.ctx.fillStyle = (shown ? STATE_COLOR : FADED_COLOR)[row.state];
    grid.ctx.fillRect((i % grid.cols) * c, Math.floor(i / grid.cols) * c, c - gap, c - gap);
  }

  private makeGrid(group: string): Grid {
    const canvas = h('canvas', { 'data-group': group, class: 'grid' });
    const ctx = canvas.getContext('2d', { alpha: true })!;
    const head = h('div', { class: 'grid-head' });
    const section = h('section', { class: 'grid-section', 'data-group': group }, head, canvas);
    const grid: Grid = { group, boxes: [], index: new Map(), cols: 1, head, canvas, ctx, section };
    const at = (ev: MouseEvent): string | null => {
      const col = Math.floor(ev.offsetX / this.cell);
      const r = Math.floor(ev.offsetY / this.cell);
      if (col < 0 || col >= grid.cols) return null;
      return grid.boxes[r * grid.cols + col] ?? null;
    };
    canvas.addEventListener('mousemove', (ev) => this.hover(at(ev), ev));
    canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
    canvas.addEventListener('click', (ev) => {
      const box = at(ev);
      if (box) this.open(box);
    });
    return grid;
  }

  private writeHead(grid: Grid): void {
    const g = this.model.groups.get(grid.group);
    const name = grid.group === '' ? L.wall.noProvince : this.model.groupName(grid.group);
    const heard = g ? L.counts.heardOf(fmt(g.counts.heard), fmt(g.counts.total)) : L.wall.heading(fmt(grid.boxes.length));
    const text = `${name} · ${heard}`;
    if (grid.head.textContent !== text) grid.head.textContent = text;
  }

  private hover(box: string | null, ev: MouseEvent): void {
    const row = box ? this.model.halls.get(box) : null;
    if (!row) {
      this.tip.hidden = true;
      return;
    }
    this.tip.replaceChildren(
      h('strong', {}, row.name),
      h('div', {}, row.box),
      h('div', { class: `state-${row.state}` }, L.states[row.state]),
    );
    if (row.problem) this.tip.appendChild(h('div', { class: 'problem' }, row.problem));
    this.tip.hidden = false;
    const r = this.el.getBoundingClientRect();
    this.tip.style.left = `${ev.clientX - r.left + this.el.scrollLeft + 12}px`;
    this.tip.style.top = `${ev.clientY - r.top + this.el.scrollTop + 12}px`;
  }
}

/** Gap between province tiles in px (style.css .wall-body column-gap). */
const TILE_GAP = 12;

/**
 * The largest cell (px), and how many province tiles side by side, with which grids of `sizes` halls (in order,
 * laid out in rows of tiles) fit in `width` × `height`. Too many to fit at the smallest cell: the smallest, and
 * the tiles per row that take the least height (the wall scrolls).
 */
export function fitLayout(sizes: number[], width: number, height: number): { cell: number; perRow: number; tileWidth: number } {
  const tiles = Math.max(1, sizes.length);
  let best = { cell: MIN_CELL, perRow: 1, tileWidth: width, height: Infinity };
  for (let cell = MAX_CELL; cell >= MIN_CELL; cell--) {
    for (let perRow = 1; perRow <= Math.min(tiles, 12); perRow++) {
      const tileWidth = Math.floor((width - (perRow - 1) * TILE_GAP) / perRow);
      const cols = Math.floor(tileWidth / cell);
      if (cols < 8) break;
      let total = 0;
      for (let i = 0; i < sizes.length; i += perRow) {
        total += Math.max(...sizes.slice(i, i + perRow).map((n) => Math.ceil(n / cols))) * cell + HEAD_PX;
      }
      if (total <= height) return { cell, perRow, tileWidth };
      if (cell === MIN_CELL && total < best.height) best = { cell, perRow, tileWidth, height: total };
    }
  }
  return best;
}
