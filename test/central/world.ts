// The world most console tests share: two carriers (two real Mosquittos), real agent processes on each, the real
// diemcau-central server, and operators of every role. Halls (box, province, carrier):
//   viettel: vn-10001 p-01, vn-10002 p-01, vn-20001 p-02      vnpt: vn-10003 p-01, vn-30001 p-46
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from '../../lab/mosquitto.js';
import { sleep, waitFor } from '../../lab/wait.js';
import { startConsoleHall, stopConsoleHall, type ConsoleHall } from '../../lab/console-halls.js';
import { addOperator, ConsoleClient, startCentral, writeCentralConfig, type CentralConfigIn, type CentralProcess } from '../../lab/central.js';

export const PASSWORD = 'correct horse battery';
export const HALLS = [
  { id: 'vn-10001', name: 'Hội trường xã Hòa Bình', province: '01', carrier: 'viettel' },
  { id: 'vn-10002', name: 'Hội trường phường Ba Đình', province: '01', carrier: 'viettel' },
  { id: 'vn-20001', name: 'Hội trường xã Tân Lập', province: '02', carrier: 'viettel' },
  { id: 'vn-10003', name: 'Hội trường xã An Khánh', province: '01', carrier: 'vnpt' },
  { id: 'vn-30001', name: 'Hội trường xã Mỹ Hòa', province: '46', carrier: 'vnpt' },
] as const;
export const HANOI = HALLS.filter((h) => h.province === '01').map((h) => h.id);

export interface World {
  dir: string;
  brokers: Record<'viettel' | 'vnpt', Broker>;
  halls: ConsoleHall[];
  configPath: string;
  central: CentralProcess;
  /** national operator "nat", provincial "hanoi" (p-01), viewer "watch". */
  nat: ConsoleClient;
  hanoi: ConsoleClient;
  viewer: ConsoleClient;
  restartCentral(): Promise<void>;
  close(): Promise<void>;
}

export { sleep };

/** `waitFor` (lab/wait.ts) in the order these tests read best: the reading, what it is, how long. */
export function eventually<T>(read: () => Promise<T> | T, what: string, ms = 15000, step = 100): Promise<T> {
  return waitFor(what, read, { timeoutMs: ms, everyMs: step });
}

export async function startWorld(extra: Partial<CentralConfigIn> = {}, halls: ReadonlyArray<(typeof HALLS)[number]> = HALLS): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-central-test-'));
  const started: Array<() => Promise<void>> = [];
  try {
    // Every part that needs no other starts at once; each is kept for close() as soon as it is up.
    const up = <T>(p: Promise<T>, stop: (x: T) => Promise<void>) => p.then((x) => (started.push(() => stop(x)), x));
    const [viettel, vnpt] = await Promise.all([up(startBroker(), (b) => b.cleanup()), up(startBroker(), (b) => b.cleanup())]);
    const brokers = { viettel, vnpt };
    const hs: ConsoleHall[] = await Promise.all(halls.map((h) => up(startConsoleHall(h.id, h.name, h.province, brokers[h.carrier].url), stopConsoleHall)));
    const configPath = await writeCentralConfig(dir, {
      carriers: [
        { name: 'viettel', url: viettel.url },
        { name: 'vnpt', url: vnpt.url },
      ],
      incidentAfterS: 1,
      readinessConcurrency: 2,
      rebuildGraceS: 30,
      ...extra,
    });
    // The first account makes the database; the other two only add a row each (SQLite serialises the writers).
    await addOperator(configPath, 'nat', 'national', PASSWORD);
    await Promise.all([addOperator(configPath, 'hanoi', 'provincial', PASSWORD, ['p-01']), addOperator(configPath, 'watch', 'viewer', PASSWORD)]);
    let central = await startCentral(configPath);
    started.push(() => central.stop());
    const [nat, hanoi, viewer] = await Promise.all([
      ConsoleClient.login(central.url, 'nat', PASSWORD),
      ConsoleClient.login(central.url, 'hanoi', PASSWORD),
      ConsoleClient.login(central.url, 'watch', PASSWORD),
    ]);
    const w: World = {
      dir,
      brokers,
      halls: hs,
      configPath,
      central,
      nat,
      hanoi,
      viewer,
      async restartCentral() {
        const port = Number(new URL(w.central.url).port);
        await w.central.stop();
        await writeCentralConfig(dir, { carriers: [{ name: 'viettel', url: viettel.url }, { name: 'vnpt', url: vnpt.url }], incidentAfterS: 1, readinessConcurrency: 2, rebuildGraceS: 30, ...extra, port });
        central = w.central = await startCentral(configPath);
      },
      async close() {
        for (const s of started.reverse()) await s().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
    // Every hall in the picture, online, with its name (its retained state has arrived).
    await eventually(async () => {
      const r = await w.nat.get('/api/halls?limit=100');
      return r.body.total === halls.length && r.body.halls.every((x: any) => x.presence === 'online' && x.name !== x.box);
    }, `all ${halls.length} halls online in the console`, 30000, 200);
    return w;
  } catch (err) {
    for (const s of started.reverse()) await s().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
