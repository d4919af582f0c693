// The demo's central console: the real `diemcau-central serve` against the demo's broker (and its Janus, for the
// preview), with a national operator account made for this run, through which the demo itself creates the meeting
// and joins its halls, as an operator at the centre would. The page at `url` shows the halls; the login is printed.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig, type CentralProcess } from '../central.js';
import { DEMO_PROVINCES } from '../halls.js';
import { tcpPortFree } from '../ports.js';

export const DEMO_OPERATOR = 'demo';
/** The port the console prefers, so that its address stays the same from run to run; any free one if taken. */
export const DEMO_CONSOLE_PORT = 8080;

export interface DemoConsole {
  url: string;
  username: string;
  password: string;
  /** The meeting the demo created in the console (with a bridge), or null. */
  meeting: number | null;
  /**
   * Joins the demo's group to the meeting through the console (one group command, its progress on the page), once
   * the console has all `halls` of the group.
   */
  joinAll(halls: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDemoConsole(
  dir: string,
  brokerUrl: string,
  bridge: { url: string; room: number } | null,
  opts: { port?: number; group: string },
): Promise<DemoConsole> {
  const port = opts.port ?? ((await tcpPortFree(DEMO_CONSOLE_PORT)) ? DEMO_CONSOLE_PORT : 0);
  await writeFile(join(dir, 'groups.json'), JSON.stringify({ ...DEMO_PROVINCES, [opts.group]: 'Demo halls' }));
  const configPath = await writeCentralConfig(dir, {
    carriers: [{ name: 'demo', url: brokerUrl }],
    bridge: { janus: bridge?.url ?? null },
    port,
    groupsFile: 'groups.json',
  });
  // A password for this run only: the demo prints it, and the database goes with the demo's temp dir.
  const password = randomBytes(6).toString('base64url');
  await addOperator(configPath, DEMO_OPERATOR, 'national', password);
  const server: CentralProcess = await startCentral(configPath);
  try {
    const api = await ConsoleClient.login(server.url, DEMO_OPERATOR, password);
    let meeting: number | null = null;
    if (bridge) {
      const r = await api.post('/api/meetings', { title: 'Demo meeting', bridge: bridge.url, room: bridge.room });
      if (r.status !== 200) throw new Error(`demo console: creating the meeting: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      meeting = r.body.id;
    }
    return {
      url: server.url,
      username: DEMO_OPERATOR,
      password,
      meeting,
      async joinAll(halls) {
        if (meeting === null) return;
        const inGroup = async () => ((await api.get('/api/groups')).body as Array<{ group: string; counts: { total: number } }>).find((g) => g.group === opts.group)?.counts.total ?? 0;
        for (const end = Date.now() + 30000; (await inGroup()) < halls && Date.now() < end; ) await new Promise((r) => setTimeout(r, 200));
        const r = await api.post(`/api/meetings/${meeting}/join`, { scope: { groups: [opts.group] } });
        if (r.status !== 200) throw new Error(`demo console: join: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      },
      stop: () => server.stop(),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
