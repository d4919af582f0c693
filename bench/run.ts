// `npm run bench -- <name> [--json FILE] [...]`: runs bench/<name>.js, each of which prints a table and writes JSON.
const BENCHES = ['fleet', 'cluster', 'drivers', 'media', 'provision', 'reconnect', 'console-server', 'console', 'faults', 'soak'] as const;

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || !(BENCHES as readonly string[]).includes(name)) {
  console.error(`usage: npm run bench -- <${BENCHES.join('|')}> [--json FILE] [options]`);
  process.exit(name && name !== '--help' ? 2 : 0);
}
const mod = (await import(`./${name}.js`)) as { main(argv: string[]): Promise<void> };
await mod.main(rest);
process.exit(0);
