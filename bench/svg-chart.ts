// Line charts as SVG text, for benches that record a series over time (the soak): one panel per quantity, stacked,
// sharing the time axis. Plain SVG 1.1, no script or font beyond the viewer's sans-serif.

export interface Series {
  name: string;
  /** [x, y] points, x ascending; y null is a gap. */
  points: Array<[number, number | null]>;
}

export interface Panel {
  title: string;
  series: Series[];
  /** A horizontal line drawn across the panel (a floor), labelled. */
  limit?: { y: number; label: string };
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 760;
const PANEL_H = 150;
const PAD = { left: 64, right: 150, top: 24, bottom: 22 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The y range of a panel: from 0 (growth reads against the whole, not a zoomed band), with 10% headroom. */
function yRange(p: Panel): [number, number] {
  const ys = p.series.flatMap((s) => s.points.map(([, y]) => y).filter((y): y is number => y !== null));
  if (p.limit) ys.push(p.limit.y);
  const hi = Math.max(1, ...ys) * 1.1;
  return [0, hi];
}

export function chartSvg(title: string, xLabel: string, panels: Panel[]): string {
  const xs = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, x0 + 1);
  const plotW = W - PAD.left - PAD.right;
  const plotH = PANEL_H - PAD.top - PAD.bottom;
  const H = 30 + panels.length * PANEL_H + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const top = 30 + i * PANEL_H;
    const [y0, y1] = yRange(p);
    const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * plotW;
    const sy = (y: number) => top + PAD.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
    out.push(`<text x="${PAD.left}" y="${top + 14}" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<rect x="${PAD.left}" y="${top + PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
    for (const f of [0, 0.5, 1]) {
      const y = y0 + f * (y1 - y0);
      out.push(`<text x="${PAD.left - 4}" y="${sy(y) + 4}" text-anchor="end">${num(y)}</text>`);
      if (f > 0 && f < 1) out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`);
    }
    for (const f of [0, 0.25, 0.5, 0.75, 1]) {
      const x = x0 + f * (x1 - x0);
      out.push(`<text x="${sx(x)}" y="${top + PANEL_H - 8}" text-anchor="middle">${num(x)}</text>`);
    }
    if (p.limit) {
      const y = sy(p.limit.y);
      out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y}" y2="${y}" stroke="#f80" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${PAD.left + plotW + 6}" y="${y + 4}" fill="#f80">${esc(p.limit.label)}</text>`);
    }
    p.series.forEach((s, k) => {
      const colour = COLOURS[k % COLOURS.length];
      // Consecutive non-null points form one polyline; a null breaks it.
      const runs: string[][] = [[]];
      for (const [x, y] of s.points) {
        if (y === null) runs.push([]);
        else runs[runs.length - 1].push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      }
      for (const r of runs.filter((r) => r.length)) {
        out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${r.join(' ')}"/>`);
      }
      out.push(`<text x="${PAD.left + plotW + 6}" y="${top + PAD.top + 12 + k * 14}" fill="${colour}">${esc(s.name)}</text>`);
    });
  });
  out.push(`<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`, '</svg>');
  return out.join('\n') + '\n';
}
