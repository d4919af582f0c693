// Which commands a running hall takes (`commands.list`), asked over MQTT as an operator's system would: tests of
// features that arrive with a newer agent run their assertions once the agent has them, and say so otherwise.
import { Observer } from './observer.js';

export async function hallCommands(brokerUrl: string, box: string): Promise<Set<string>> {
  const obs = await Observer.connect(brokerUrl, []);
  try {
    const r = await obs.request(`diemcau/v1/${box}/cmd/commands.list`, {});
    if (!r.ok) throw new Error(`commands.list on ${box}: ${JSON.stringify(r.error)}`);
    return new Set((r.result as Array<{ name: string }>).map((c) => c.name));
  } finally {
    await obs.close();
  }
}

/** Presses a simulated panel button (`panel.sim-press`) of `box`. */
export async function pressButton(brokerUrl: string, box: string, button: 'talk' | 'mute', ms = 60): Promise<void> {
  const obs = await Observer.connect(brokerUrl, []);
  try {
    const r = await obs.request(`diemcau/v1/${box}/cmd/panel.sim-press`, { button, ms });
    if (!r.ok) throw new Error(`panel.sim-press ${button} on ${box}: ${JSON.stringify(r.error)}`);
  } finally {
    await obs.close();
  }
}
