// Tests use the same broker runner as the demo and the benches. Test files run side by side, each with brokers of
// its own: a port found free can be taken by another file's connection before Mosquitto binds it, so a start that
// fails for that reason is tried again on a new port.
import { startBroker as startOne, type Broker, type BrokerOptions } from '../../agent/demo/mosquitto.js';

export type { Broker, BrokerOptions };

export async function startBroker(opts: BrokerOptions = {}): Promise<Broker> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOne(opts);
    } catch (err) {
      const taken = /Address already in use/i.test((err as Error).message);
      if (!taken || opts.port !== undefined || attempt >= 3) throw err;
    }
  }
}
