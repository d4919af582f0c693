// docs/console.openapi.json stays true: every route the server has is in it, with its method, and nothing else is;
// each operation answers with schemas that resolve.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { apiRoutes } from '../../central/http/routes.js';
import type { Central } from '../../central/app.js';

const doc = JSON.parse(await readFile(fileURLToPath(new URL('../../../docs/console.openapi.json', import.meta.url)), 'utf8'));

t.test('every route is documented, and only routes that exist', async (t) => {
  // Route tables are built without a server: their handlers are never called here.
  const routes = apiRoutes({} as Central).map((r) => `${r.method} ${r.path.replace(/:([a-z]+)/g, '{$1}')}`);
  routes.push('GET /api/live'); // the WebSocket upgrade, outside the router
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  t.same([...documented].sort(), [...routes].sort());
  t.equal(doc.openapi, '3.1.0');
});

t.test('every $ref resolves', async (t) => {
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
  t.ok(refs.length > 30);
  t.same(refs.filter((r) => !(r in doc.components.schemas)), []);
});
