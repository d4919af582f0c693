// The health check a new version must pass on its trial start, built from the running Agent: it registers with
// the broker, the devices that answered before the update answer again, and the media worker starts if it ran
// before. "Before" is recorded by the old version at install time (`expectationsOf`), so a hall whose camera was
// already broken can still take the update that fixes it, and a version that breaks a working camera is rolled back.
import type { Agent } from '../agent.js';
import type { HealthCheck } from './health.js';

export interface Expectations {
  /** Device ids whose health was `ok` on the old version. */
  devices: string[];
  /** The media worker was running (not failed) on the old version. */
  media: boolean;
}

/** What the running (old) version can vouch for: recorded with the trial. */
export function expectationsOf(agent: Agent): Expectations {
  const devices = [...agent.devices.entries()].filter(([, d]) => d.health().status === 'ok').map(([id]) => id);
  const media = agent.media !== null && agent.media.report().status !== 'failed';
  return { devices, media };
}

function until(source: { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown }, event: string, ok: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (ok()) return resolve();
    const on = () => {
      if (!ok()) return;
      source.off(event, on);
      resolve();
    };
    source.on(event, on);
  });
}

/** The checks for `settleTrial`; each waits for its condition (settleTrial bounds the wait). */
export function agentHealthChecks(agent: Agent, expect: Expectations): HealthCheck[] {
  const checks: HealthCheck[] = [
    { name: 'registers', run: () => until(agent.link, 'connected', () => agent.link.status().connected) },
  ];
  for (const id of expect.devices) {
    checks.push({
      name: `device ${id} answers`,
      run: async () => {
        const d = agent.devices.get(id);
        if (!d) throw new Error(`device ${id} is not configured in this version`);
        await until(d, 'change', () => d.health().status === 'ok');
      },
    });
  }
  if (expect.media) {
    checks.push({
      name: 'media worker starts',
      run: async () => {
        const m = agent.media;
        if (!m) throw new Error('media path not started');
        if (m.report().status === 'failed') throw new Error('media path failed to start');
      },
    });
  }
  return checks;
}
