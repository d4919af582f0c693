// Two small canvas charts: stacked sparklines of a hall's media figures over time (each on its own scale, its last
// value written beside it), and horizontal stacked bars (readiness per province).

export interface Series {
  label: string;
  color: string;
  /** [time ms, value or null], oldest first. */
  points: Array<[number, number | null]>;
}

const FONT = '11px system-ui, sans-serif';

export function sparklines(canvas: HTMLCanvasElement, series: Series[], width = 360, rowPx = 34): void {
  canvas.width = width;
  canvas.height = series.length * rowPx;
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = FONT;
  const labelW = 120;
  const ts = series.flatMap((s) => s.points.map((p) => p[0]));
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts, t0 + 1);
  series.forEach((s, i) => {
    const top = i * rowPx + 4;
    const hgt = rowPx - 10;
    const vals = s.points.map((p) => p[1]).filter((v): v is number => v !== null);
    const max = Math.max(1e-9, ...vals);
    g.fillStyle = '#f3f4f6';
    g.fillRect(0, top, width - labelW, hgt);
    g.strokeStyle = s.color;
    g.lineWidth = 1.5;
    g.beginPath();
    let pen = false;
    for (const [t, v] of s.points) {
      if (v === null) {
        pen = false;
        continue;
      }
      const x = ((t - t0) / (t1 - t0)) * (width - labelW - 2) + 1;
      const y = top + hgt - (v / max) * (hgt - 2) - 1;
      if (pen) g.lineTo(x, y);
      else g.moveTo(x, y);
      pen = true;
    }
    g.stroke();
    g.fillStyle = '#222';
    const last = vals.length ? vals[vals.length - 1] : null;
    g.fillText(`${s.label}: ${last === null ? '—' : round(last)}`, width - labelW + 6, top + hgt / 2 + 4);
  });
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

export interface Bar {
  label: string;
  parts: Array<{ value: number; color: string }>;
}

/** One bar a row, scaled to the longest; the label on the left, the total on the right. */
export function bars(canvas: HTMLCanvasElement, rows: Bar[], width = 360, rowPx = 16): void {
  canvas.width = width;
  canvas.height = Math.max(rowPx, rows.length * rowPx);
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = FONT;
  const labelW = 110;
  const totalW = 44;
  const max = Math.max(1, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  rows.forEach((r, i) => {
    const y = i * rowPx;
    g.fillStyle = '#222';
    g.fillText(r.label.length > 16 ? r.label.slice(0, 15) + '…' : r.label, 0, y + rowPx - 4);
    let x = labelW;
    let total = 0;
    for (const p of r.parts) {
      const w = (p.value / max) * (width - labelW - totalW);
      g.fillStyle = p.color;
      g.fillRect(x, y + 2, w, rowPx - 4);
      x += w;
      total += p.value;
    }
    g.fillStyle = '#222';
    g.fillText(String(total), width - totalW + 4, y + rowPx - 4);
  });
}
