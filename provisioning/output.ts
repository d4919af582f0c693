// What every verb prints: a table for people on stdout, or with --json one JSON document (and nothing else) on it.
export function table(rows: Array<Record<string, unknown>>, out: NodeJS.WritableStream = process.stdout): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  out.write(line(cols) + '\n');
  out.write(line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) out.write(line(cols.map((c) => cell(r[c]))) + '\n');
}

export function json(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}
