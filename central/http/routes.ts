// Every API route (docs/console.md, docs/console.openapi.json), gathered from the modules that implement them.
import type { Central } from '../app.js';
import type { Route } from './router.js';
import { authRoutes } from './routes-auth.js';
import { hallRoutes } from './routes-halls.js';
import { meetingRoutes } from './routes-meetings.js';
import { floorRoutes } from './routes-floor.js';
import { opsRoutes } from './routes-ops.js';

export function apiRoutes(app: Central): Route[] {
  return [...authRoutes(app), ...hallRoutes(app), ...meetingRoutes(app), ...floorRoutes(app), ...opsRoutes(app)];
}
