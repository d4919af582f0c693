// What every verb prints: a table for people on stdout, or with --json one JSON document (and nothing else) on it.
export function table(rows: ReadonlyArray<object>, out: NodeJS.WritableStream = process.stdout): void {
  if (rows.length === 0) return;
  const recs = rows as Array<Record<string, unknown>>;
  const cols = Object.keys(recs[0]);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...recs.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  out.write(line(cols) + '\n');
  out.write(line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of recs) out.write(line(cols.map((c) => cell(r[c]))) + '\n');
}

export function json(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}
