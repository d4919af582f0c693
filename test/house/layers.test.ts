// The layering of docs/architecture.md holds in the sources: core imports nothing of ours, drivers only core, the
// agent core and drivers, provisioning and the central console only core, and nothing that ships on a box imports
// lab/, test/ or bench/.
import t from 'tap';
import { mkdtemp, mkdir, writeFile, rm, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Each folder and the folders it may import (itself included); read from the sources, so this fails the day a folder
// imports one it must not. Folders not listed are outside the rules.
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  core: ['core'],
  drivers: ['core', 'drivers'],
  agent: ['core', 'drivers', 'agent'],
  provisioning: ['core', 'provisioning'],
  central: ['core', 'central'],
  lab: ['core', 'drivers', 'agent', 'provisioning', 'central', 'lab'],
  test: ['core', 'drivers', 'agent', 'provisioning', 'central', 'lab', 'test'],
  bench: ['core', 'drivers', 'agent', 'provisioning', 'central', 'lab', 'bench'],
};

interface Violation {
  file: string;
  imports: string;
}

// `import … from '…'`, `export … from '…'`, `import('…')` and `new URL('…', import.meta.url)`, relative only.
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
  /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  /\bimport\s+['"](\.{1,2}\/[^'"]+)['"]/g,
  /\bnew URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url/g,
];

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every import in `root`'s folders that the rules above forbid. */
async function layerViolations(root: string, rules = MAY_IMPORT): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const top of Object.keys(rules)) {
    for (const file of await tsFiles(join(root, top))) {
      const src = await readFile(file, 'utf8');
      for (const rx of SPECIFIERS) {
        for (const m of src.matchAll(rx)) {
          const target = relative(root, normalize(join(dirname(file), m[1])));
          const to = target.split(sep)[0];
          if (to === '..' || !(to in rules)) continue; // outside the tree (package.json and the like)
          if (!rules[top].includes(to)) out.push({ file: relative(root, file), imports: target });
        }
      }
    }
  }
  return out;
}

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

t.test('no folder imports one it must not', async (t) => {
  const bad = await layerViolations(repo);
  t.same(bad, [], bad.map((v) => `${v.file} imports ${v.imports}`).join('\n') || 'the tree holds');
});

t.test('the check sees every kind of import that breaks the tree', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-layers-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const d of ['core', 'drivers/x', 'agent', 'lab']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'lab/world.ts'), 'export const w = 1;\n');
  await writeFile(join(dir, 'agent/ok.ts'), "import { a } from '../core/a.js';\nexport const ok = a;\n");
  await writeFile(join(dir, 'core/a.ts'), "import type { X } from '../agent/ok.js';\nexport const a = 1;\n");
  await writeFile(join(dir, 'drivers/x/d.ts'), "export { w } from '../../lab/world.js';\nconst m = await import('../../agent/ok.js');\n");
  await writeFile(join(dir, 'agent/worker.ts'), "const p = new URL('../lab/world.js', import.meta.url);\nimport '../lab/world.js';\n");
  const bad = (await layerViolations(dir)).map((v) => `${v.file} -> ${v.imports}`).sort();
  t.same(bad, [
    'agent/worker.ts -> lab/world.js',
    'agent/worker.ts -> lab/world.js',
    'core/a.ts -> agent/ok.js',
    'drivers/x/d.ts -> agent/ok.js',
    'drivers/x/d.ts -> lab/world.js',
  ]);
});
