// The console server's composition root: the store, the fleet and its picture, the operations, the HTTP API and
// the live feed, from one config. `Central.start` is what `diemcau-central serve` runs; tests run the real CLI.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/log.js';
import { ConfigError } from '../core/errors.js';
import type { CentralConfig } from './config.js';
import { Store } from './store/db.js';
import { Operators } from './store/operators.js';
import { Audit } from './store/audit.js';
import { Sessions } from './auth/sessions.js';
import { LoginLimiter } from './auth/rate-limit.js';
import { Picture } from './fleet/picture.js';
import { Fleet } from './fleet/fleet.js';
import { Commands } from './ops/commands.js';
import { Meetings } from './ops/meetings.js';
import { Rollcalls } from './ops/rollcall.js';
import { Floor } from './ops/floor.js';
import { Readiness } from './ops/readiness.js';
import { Incidents } from './ops/incidents.js';
import { Rejoin } from './ops/rejoin.js';
import { Previews, PREVIEW_ORIGIN_S } from './preview/previews.js';
import { Cascade } from './cascade/cascade.js';
import { LiveHub } from './http/live.js';
import { Router } from './http/router.js';
import { serveStatic, webRoot } from './http/static.js';
import { apiRoutes } from './http/routes.js';

export class Central {
  readonly store: Store;
  readonly operators: Operators;
  readonly audit: Audit;
  readonly sessions: Sessions;
  readonly limiter = new LoginLimiter();
  readonly picture: Picture;
  readonly fleet: Fleet;
  readonly live: LiveHub;
  readonly commands: Commands;
  readonly meetings: Meetings;
  readonly rollcalls: Rollcalls;
  readonly floor: Floor;
  readonly readiness: Readiness;
  readonly incidents: Incidents;
  readonly rejoin: Rejoin;
  readonly previews: Previews;
  /** The current meeting cascaded over the regional edges (bridge.edges), or null with one bridge. */
  readonly cascade: Cascade | null;
  readonly server: Server;
  private sweepTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly config: CentralConfig,
    readonly log: Logger,
    groupNames: Record<string, string>,
  ) {
    this.store = new Store(config.db);
    this.operators = new Operators(this.store.db);
    this.audit = new Audit(this.store.db);
    this.sessions = new Sessions(this.store.db);
    this.picture = new Picture(groupNames);
    this.fleet = new Fleet(config.carriers, this.picture, log, config.rebuildGraceS);
    this.live = new LiveHub(this);
    this.commands = new Commands(this.store, this.fleet, this.picture, this.live);
    const cascaded = config.bridge.janus !== null && config.bridge.edges.length > 0;
    this.meetings = new Meetings(this.store, this.commands, this.live, { regionBridges: cascaded });
    const meetingId = () => this.meetings.current()?.id ?? null;
    this.rollcalls = new Rollcalls(this.store, this.fleet, this.live);
    this.floor = new Floor(this.store, this.fleet, this.picture, meetingId, this.live);
    this.readiness = new Readiness(this.store, this.fleet, this.picture, this.live, config.readinessConcurrency);
    this.incidents = new Incidents(this.store, this.picture, meetingId, this.live, config.incidentAfterS);
    this.rejoin = new Rejoin(this.store, this.fleet, this.picture, this.meetings, this.audit);
    // A national meeting's origin cannot take every hall's uplink: with 'watched', only the halls the centre
    // previews or may give the floor to are cascaded to it.
    const watched = cascaded && config.bridge.originUplinks === 'watched';
    this.previews = new Previews(
      config.bridge,
      this.picture,
      () => this.meetings.current()?.room ?? null,
      watched ? (box) => this.cascade!.atOrigin(box, PREVIEW_ORIGIN_S * 1000) : undefined,
    );
    this.cascade = cascaded
      ? new Cascade({
          origin: { api: config.bridge.janus! },
          edges: config.bridge.edges,
          ...(watched ? { uplinks: () => new Set([...this.previews.boxes(), ...this.floor.boxes()]) } : {}),
          room: () => {
            const room = this.meetings.current()?.room;
            return typeof room === 'number' ? room : null; // a VideoRoom is a number; a WHIP room cannot be cascaded
          },
          log: log.child({ part: 'cascade' }),
        })
      : null;
    const router = new Router(apiRoutes(this), { sessions: this.sessions, operators: this.operators, audit: this.audit, log });
    const web = webRoot();
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://console');
      const address = req.socket.remoteAddress ?? '';
      if (url.pathname.startsWith('/api/')) {
        void router.handle(req, res, url, address);
      } else {
        void serveStatic(req, res, url, web, log);
      }
    });
    this.live.attach(this.server);
  }

  static async start(config: CentralConfig, log: Logger): Promise<Central> {
    const c = new Central(config, log, await loadGroupNames(config.groupsFile));
    c.fleet.start();
    c.cascade?.start();
    await new Promise<void>((resolve, reject) => {
      c.server.once('error', reject);
      c.server.listen(config.listen.port, config.listen.host, () => resolve());
    });
    c.sweepTimer = setInterval(() => c.sessions.sweep(), 10 * 60_000);
    log.info('diemcau-central listening', { url: c.url, db: config.db, carriers: config.carriers.map((x) => x.name) });
    return c;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.live.stop();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.previews.stop();
    await this.cascade?.stop();
    this.incidents.stop();
    this.rejoin.stop();
    this.rollcalls.stop();
    this.readiness.stop();
    this.commands.stop();
    await this.fleet.stop();
    this.store.close();
  }
}

/** The optional groups file: `{"p-01": "Hà Nội", ...}`. */
async function loadGroupNames(path: string | undefined): Promise<Record<string, string>> {
  if (!path) return {};
  let v: unknown;
  try {
    v = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(path, [`(root): cannot read as JSON: ${(err as Error).message}`]);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(path, ['(root): must be an object of group → name']);
  const bad = Object.entries(v).find(([, name]) => typeof name !== 'string');
  if (bad) throw new ConfigError(path, [`${bad[0]}: must be a string (the group's display name)`]);
  return v as Record<string, string>;
}
