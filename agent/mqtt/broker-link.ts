// The box's link to the carrier broker: MQTT 5, a persistent session, presence with a delayed Last Will, failover
// down a list of brokers, and reconnection that spreads a fleet's return at the rate the broker takes
// (agent/mqtt/backoff.ts).
//
// mqtt.js's own reconnect (a fixed period, 1 s by default) is switched off: each attempt is a fresh client, so the
// broker URL can change between attempts and every retry waits a jittered delay. The client is built on our own
// TCP/TLS stream rather than through mqtt.connect(), which loads WebSocket and SOCKS support a box never uses
// (about 8 MB of the agent's memory budget), and mqtt-packet's 65,536-buffer number cache is off (writeCache: false).
import { EventEmitter } from 'node:events';
import type { SecureContext } from 'node:tls';
import { MqttClient, type IClientOptions, type IPublishPacket, type IClientPublishOptions } from 'mqtt';
import type { Static } from '../../core/schema/type.js';
import type { MqttConfig } from '../../core/config/schema.js';
import type { Logger } from '../../core/log.js';
import { reconnectDelay, isMassReason, isOverload, type DropCause, type FailedAttempt } from './backoff.js';
import { RECEIVE_MAXIMUM } from '../../core/receive-maximum.js';
import { openStream, TlsContextCache } from './broker-stream.js';

/** How long `online` waits for the SUBACK before it is said anyway. */
const SUBACK_WAIT_MS = 10_000;

export type MqttSettings = Static<typeof MqttConfig>;

export interface LinkOptions {
  clientId: string;
  mqtt: MqttSettings;
  /** Retained presence topic: `online` is published there on connect, `offline` is the delayed Last Will. */
  presenceTopic: string;
  presence(state: 'online' | 'offline', reason?: string): string;
}

export interface LinkStatus {
  connected: boolean;
  broker: string | null;
  since: number;
  connects: number;
  lastDrop: { cause: DropCause; reason: string; at: number } | null;
  /** Attempts that gave up waiting for the broker (TCP, TLS handshake and CONNACK over the connect timeout). */
  connectTimeouts: number;
  /** ms from opening the socket to CONNACK, of the last attempt that registered. */
  lastConnectMs: number | null;
}

/**
 * How long an attempt waits for TCP, the TLS handshake and CONNACK together (then: the next broker). A broker slow
 * to answer is working through a queue: of SYNs, which the kernel retries at 1, 3, 7 and 15 s while its accept queue
 * is full, or of handshakes. Leaving it sooner throws away the work it did for us and comes back to add to the
 * queue (docs/mqtt.md, "Reconnection"), which is how a fleet's return collapses into timeouts.
 */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Events:
 *  - 'connected' (broker: string): registered; subscriptions restored. Publish retained state now.
 *  - 'disconnected' (cause: DropCause, reason: string)
 *  - 'message' (topic: string, payload: Buffer, packet: IPublishPacket)
 */
export class BrokerLink extends EventEmitter {
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private attempt = 0;
  private refusals = 0;
  /** Attempts since the last registration that found the broker overloaded: each doubles the mass window. */
  private overloads = 0;
  /** Attempts failed since the link was last up (or since start): each broker of the list gets one hop. */
  private failedSinceUp = 0;
  private cause: DropCause = 'link';
  private brokerIndex = 0;
  private readonly subs = new Map<string, 0 | 1>();
  private readonly tlsContexts = new TlsContextCache();
  /** Publishes waiting for their acknowledgement; settled `false` when their client is dropped. */
  private readonly pending = new Set<(ok: boolean) => void>();
  private st: LinkStatus = { connected: false, broker: null, since: Date.now(), connects: 0, lastDrop: null, connectTimeouts: 0, lastConnectMs: null };

  constructor(
    private opts: LinkOptions,
    private readonly log: Logger,
    private readonly rand: () => number = Math.random,
  ) {
    super();
  }

  status(): LinkStatus {
    return { ...this.st };
  }

  get connected(): boolean {
    return this.st.connected;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connectNow();
  }

  /** Replaces the broker settings (handover, new credentials) and reconnects to the first broker of the new list. */
  reconfigure(settings: MqttSettings): void {
    this.opts = { ...this.opts, mqtt: settings };
    this.brokerIndex = 0;
    if (this.stopped) return;
    this.log.info('broker settings changed: reconnecting', { brokers: settings.brokers });
    this.dropClient();
    this.attempt = 0;
    this.overloads = 0; // another broker: what the last one said of its load is not this one's
    this.failedSinceUp = 0;
    this.schedule(0);
  }

  subscribe(filter: string, qos: 0 | 1 = 1): void {
    if (this.subs.get(filter) === qos) return;
    this.subs.set(filter, qos);
    if (this.client && this.st.connected) {
      this.client.subscribe(filter, { qos }, (err) => {
        if (err) this.log.warn('subscribe failed', { filter, err });
      });
    }
  }

  unsubscribe(filter: string): void {
    if (!this.subs.delete(filter)) return;
    if (this.client && this.st.connected) this.client.unsubscribe(filter);
  }

  /** Publishes when connected; resolves false (dropped) when not. Retained state is re-sent on connect by its owner. */
  publish(topic: string, payload: string | Buffer, options: IClientPublishOptions = {}): Promise<boolean> {
    const client = this.client;
    if (!client || !this.st.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (ok: boolean) => {
        if (this.pending.delete(settle)) resolve(ok);
      };
      this.pending.add(settle);
      client.publish(topic, payload, options, (err) => {
        if (err) this.log.debug('publish failed', { topic, err });
        settle(!err);
      });
    });
  }

  /** Clean stop: publishes `offline` itself, then disconnects normally (the broker discards the will). */
  async stop(timeoutMs = 1500): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    client.removeAllListeners('close');
    this.settlePending();
    if (this.st.connected) {
      await Promise.race([
        new Promise<void>((resolve) =>
          client.publish(this.opts.presenceTopic, this.opts.presence('offline', 'stopped'), { qos: 1, retain: true }, () =>
            resolve(),
          ),
        ),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs / 2).unref()),
      ]);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, timeoutMs / 2);
      t.unref();
      client.end(false, { reasonCode: 0 }, () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.st = { ...this.st, connected: false, since: Date.now() };
  }

  private clientOptions(): IClientOptions {
    const m = this.opts.mqtt;
    const o: IClientOptions = {
      protocolVersion: 5,
      clientId: this.opts.clientId,
      clean: false, // a persistent session: a short blip reconnects before the will delay and nothing flaps
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepalive: m.keepaliveS,
      resubscribe: false,
      writeCache: false,
      properties: {
        sessionExpiryInterval: m.sessionExpiryS,
        // The broker drops a bigger message for this box rather than sending it (mqtt.js would drop the link for it).
        maximumPacketSize: m.maxPacketBytes,
        receiveMaximum: RECEIVE_MAXIMUM, // or Mosquitto drops a burst of commands past 1020
      },
      will: {
        topic: this.opts.presenceTopic,
        payload: Buffer.from(this.opts.presence('offline', 'lost')),
        qos: 1,
        retain: true,
        properties: { willDelayInterval: m.willDelayS },
      },
    };
    if (m.username !== undefined) o.username = m.username;
    if (m.password !== undefined) o.password = m.password;
    return o;
  }

  private connectNow(): void {
    this.timer = null;
    if (this.stopped) return;
    const url = this.opts.mqtt.brokers[this.brokerIndex % this.opts.mqtt.brokers.length];
    const options = this.clientOptions();
    let secureContext: SecureContext | undefined;
    try {
      if (url.startsWith('mqtts:')) secureContext = this.tlsContexts.get(this.opts.mqtt.tls);
    } catch (err) {
      // A TLS file that cannot be read or does not parse: say which, and keep trying (it may be provisioned later).
      this.log.error('broker TLS files unusable', { broker: url, err });
      this.onAttemptFailed(url, 'tls files unusable', false, { timedOut: false, cutByServer: false });
      return;
    }
    const openedAt = performance.now();
    const rejectUnauthorized = this.opts.mqtt.tls?.rejectUnauthorized ?? true;
    const client = new MqttClient(() => openStream(url, secureContext, rejectUnauthorized), options);
    this.client = client;
    let wasConnected = false;
    let serverEnded = false;
    let reason = '';
    let refused = false;
    let massReason = false;
    let serverDisconnected = false;
    let tcpUp = false;
    let reset = false;
    let otherError = false;
    let timedOut = false;
    let refusedCode: number | undefined;
    client.stream?.on('end', () => (serverEnded = true));
    client.stream?.on('connect', () => (tcpUp = true));
    client.on('connect', () => {
      // A CONNACK for a client stop() (or a reconfigure) already let go of: its stores are closed, and a publish on
      // it would throw. Nothing to do: the new client, or none, is in charge.
      if (this.client !== client) return;
      wasConnected = true;
      this.attempt = 0;
      this.failedSinceUp = 0;
      this.refusals = 0;
      this.overloads = 0;
      this.cause = 'link';
      const lastConnectMs = Math.round(performance.now() - openedAt);
      this.st = { ...this.st, connected: true, broker: url, since: Date.now(), connects: this.st.connects + 1, lastConnectMs };
      // Registered once the subscriptions are in place (their SUBACK): `online`, then 'connected' (the agent then
      // publishes its state, which the console reads as newer than the presence). The console takes `online` as
      // "commands reach it", and on a cluster a SUBSCRIBE takes a while (ejabberd stores it before it answers).
      // Measured with a node of three killed under 10,400 halls (bench/cluster.ts), a group command sent once every
      // moved hall had said `online` again reached 9,997 of them with `online` sent at CONNACK, 10,400 at SUBACK.
      let announced = false;
      const registered = () => {
        if (announced || this.client !== client || !client.connected) return;
        announced = true;
        client.publish(this.opts.presenceTopic, this.opts.presence('online'), { qos: 1, retain: true });
        this.log.info('registered with broker', { broker: url });
        this.emit('connected', url);
      };
      if (this.subs.size > 0) {
        const map: Record<string, { qos: 0 | 1 }> = {};
        for (const [f, qos] of this.subs) map[f] = { qos };
        // A broker that never answers the SUBSCRIBE must not keep the box `offline` for good.
        const late = setTimeout(() => {
          if (!announced) this.log.warn('no SUBACK within 10 s: online anyway', { broker: url });
          registered();
        }, SUBACK_WAIT_MS);
        late.unref();
        client.subscribe(map, (err) => {
          clearTimeout(late);
          if (err) this.log.warn('subscribe failed', { broker: url, err });
          registered();
        });
      } else registered();
    });
    client.on('disconnect', (packet) => {
      const said = packet.properties?.reasonString;
      reason = `server DISCONNECT 0x${(packet.reasonCode ?? 0).toString(16)}${said ? ` (${said})` : ''}`;
      serverDisconnected = true;
      massReason = isMassReason(packet.reasonCode);
    });
    client.on('error', (err: Error & { code?: string | number }) => {
      reason = err.message;
      if (err.code === 'ECONNREFUSED') refused = true;
      else if (err.code === 'ECONNRESET') reset = true;
      else if (err.message === 'connack timeout') timedOut = true;
      else otherError = true;
      if (typeof err.code === 'number') refusedCode = err.code;
      if (typeof err.code === 'number' && isMassReason(err.code)) {
        refused = true;
        massReason = true;
      }
    });
    client.on('message', (topic, payload, packet) => this.emit('message', topic, payload, packet as IPublishPacket));
    client.once('close', () => {
      if (this.client !== client) return;
      this.client = null;
      this.settlePending();
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      if (wasConnected) {
        // A server that says why is taken at its word: only reasons that mean "the broker, for everyone" are a mass
        // event; the rest (a protocol error in what we sent, a session taken over) concern this box alone, even though
        // the server then closes the socket cleanly. A clean close from the server side without a DISCONNECT is how
        // Mosquitto 2.0 shuts down: the broker going away for everyone. Our own link failing shows as a reset or a
        // keepalive timeout.
        const cause: DropCause = serverDisconnected ? (massReason ? 'mass' : 'link') : serverEnded ? 'mass' : 'link';
        this.st = {
          ...this.st,
          connected: false,
          since: Date.now(),
          lastDrop: { cause, reason: reason || (serverEnded ? 'server closed the connection' : 'link lost'), at: Date.now() },
        };
        this.cause = cause;
        this.attempt = 0;
        this.log.warn('broker link dropped', { broker: url, cause, reason: this.st.lastDrop!.reason });
        this.emit('disconnected', cause, this.st.lastDrop!.reason);
        this.schedule(reconnectDelay(0, cause, this.opts.mqtt.reconnect, this.rand));
      } else {
        if (timedOut) this.st = { ...this.st, connectTimeouts: this.st.connectTimeouts + 1 };
        // Cut by the server: the socket was up and the server closed or reset it before answering, with no error of
        // ours (a certificate we refused, a TLS alert) in between.
        const cutByServer = tcpUp && (serverEnded || reset) && !otherError && !timedOut;
        this.onAttemptFailed(url, reason || 'connection closed', refused, { reasonCode: refusedCode, timedOut, cutByServer }, massReason);
      }
    });
  }

  private onAttemptFailed(url: string, reason: string, refused: boolean, how: FailedAttempt, massReason = false): void {
    const n = this.opts.mqtt.brokers.length;
    // Judged against the cause the attempt was made under: a timeout in a mass return is the broker's queue.
    if (isOverload(how, this.cause)) this.overloads++;
    this.refusals = refused ? this.refusals + 1 : 0;
    if (massReason || this.refusals >= n) this.cause = 'mass';
    this.attempt++;
    this.failedSinceUp++;
    this.brokerIndex = (this.brokerIndex + 1) % n;
    // Until every broker of the list has failed once, the next one is tried after the short backoff: a hop from a
    // dead node to the next node of a cluster keeps the place in the spread window the first retry drew, and a
    // second whole window would only keep the box away. A broker that said "busy" is still a mass event.
    const hop = !massReason && this.failedSinceUp < n;
    // In a mass return the first round of hops counts as one refusal ("refused once": the window again, not twice
    // it): the failures since the last registration, less the hops before the list had failed whole.
    const massAttempt = Math.max(1, this.failedSinceUp - (n - 1));
    const delay = hop
      ? reconnectDelay(this.attempt, 'link', this.opts.mqtt.reconnect, this.rand)
      : reconnectDelay(this.cause === 'mass' ? massAttempt : this.attempt, this.cause, this.opts.mqtt.reconnect, this.rand, this.overloads);
    this.log.warn('broker connect failed', { broker: url, reason, cause: this.cause, hop, overloads: this.overloads, retryInMs: delay });
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connectNow(), ms);
  }

  /** A dropped client never acknowledges what it was sending: its publishes count as not delivered. */
  private settlePending(): void {
    for (const settle of [...this.pending]) settle(false);
  }

  private dropClient(): void {
    const c = this.client;
    this.client = null;
    this.settlePending();
    if (!c) return;
    c.removeAllListeners();
    c.on('error', () => {});
    c.end(true);
    this.st = { ...this.st, connected: false, since: Date.now() };
  }
}
