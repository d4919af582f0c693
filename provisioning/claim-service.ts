// `diemcau-provision serve`: the carrier's answer to claims, an MQTT client of the same broker logged in as the
// service user. Requests are answered in small batches: the batch's claims are made durable (claims.json, atomic)
// before any answer leaves, so a crash never forgets a hall it handed out. A box is confirmed (and its hall
// closed to further claims) when it publishes its own presence or state: only it may, by the ACL.
import mqtt, { type MqttClient, type IPublishPacket } from 'mqtt';
import { readClaimRequest, seal, type ClaimAnswer, type ClaimRequest } from '../core/claim.js';
import { BadRequestError, errorToWire } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { Store, type Claim } from './store.js';
import { buildIndex, decide, type ClaimIndex } from './claim-policy.js';
import { signCsr, readCaCert, type CaPaths } from './ca.js';
import { CLAIM_REQUESTS, claimTopics, everyBox } from '../core/topics.js';
import { RECEIVE_MAXIMUM } from '../core/receive-maximum.js';

export interface ServeOptions {
  url: string;
  /** Extra mqtt.js options (TLS files for mqtts). */
  connect?: mqtt.IClientOptions;
  ca?: CaPaths;
  updateKeyPem?: string;
  log: Logger;
  flushMs?: number;
  /** Wrong install codes allowed in a burst, and refilled per second, fleet-wide (guessing defence). */
  codeGuesses?: { burst: number; perSecond: number };
  /** Clock for the guessing limit (tests freeze it). */
  now?: () => number;
}

interface Pending {
  serial: string;
  topic: string;
  correlation?: Buffer;
  answer: ClaimAnswer;
}

/** The largest message serve takes: a claim request is at most 16 KB, a box's state a few KB. */
export const SERVE_MAX_PACKET_BYTES = 1024 * 1024;

export class ClaimService {
  private client: MqttClient | null = null;
  private ix: ClaimIndex | null = null;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopping = false;
  private dirty = false;
  private lastReload = 0;
  private caPem: string | null = null;
  private guesses = 0;
  private guessesAt = 0;
  readonly stats = { granted: 0, refused: 0, confirmed: 0 };

  constructor(
    private readonly store: Store,
    private readonly opts: ServeOptions,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    if (this.opts.ca) this.caPem = await readCaCert(this.opts.ca).catch(() => null);
    const carrier = await this.store.carrier();
    this.client = await mqtt.connectAsync(this.opts.url, {
      protocolVersion: 5,
      clientId: `diemcau-provision-serve-${process.pid}`,
      username: carrier.service.username,
      password: carrier.service.password,
      reconnectPeriod: 1000,
      properties: {
        receiveMaximum: RECEIVE_MAXIMUM, // or Mosquitto drops claims and states past 1020
        // Whoever holds the factory credential may publish a claim request of any size: the broker drops one bigger
        // than this for us instead of sending it (readClaimRequest refuses one over 16 KB before parsing).
        maximumPacketSize: SERVE_MAX_PACKET_BYTES,
      },
      ...this.opts.connect,
    });
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    await this.client.subscribeAsync(
      { [CLAIM_REQUESTS]: { qos: 1 }, [everyBox('presence')]: { qos: 1 }, [everyBox('state')]: { qos: 1 } },
    );
    this.opts.log.info('serve: answering claims', { url: this.opts.url, halls: Object.keys(this.ix!.halls).length });
  }

  async stop(): Promise<void> {
    // Nothing is scheduled from here on (messages still arrive until the client ends); the batch being written
    // finishes and is answered, then what is left is written and answered once, while the client is still up.
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
    await this.client?.endAsync().catch(() => {});
    this.client = null;
  }

  private async reload(): Promise<void> {
    this.lastReload = Date.now();
    const [halls, ids, claims, resets] = await Promise.all([
      this.store.halls(),
      this.store.identities(),
      this.store.claims(),
      this.store.resets(),
    ]);
    const before = this.ix ? Object.keys(this.ix.claims).length : 0;
    this.ix = buildIndex(halls, ids, this.ix?.claims ?? claims, resets);
    if (this.ix && Object.keys(this.ix.claims).length !== before) this.dirty = true;
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const parts = topic.split('/');
    if (parts[2] === 'claim' && parts[4] === 'req') {
      void this.onRequest(parts[3], payload, packet).catch((err) => this.opts.log.error('serve: claim failed', { topic, err }));
    } else if (parts[3] === 'state' && !packet.retain) {
      this.onBoxSeen(parts[2]);
    } else if (parts[3] === 'presence' && !packet.retain && /"state"\s*:\s*"online"/.test(payload.toString('utf8'))) {
      // Only the box's own `online`: an `offline` may be the broker publishing an old box's will.
      this.onBoxSeen(parts[2]);
    }
  }

  private onBoxSeen(boxId: string): void {
    const c = this.ix?.claims[boxId];
    if (!c || c.confirmedAt) return;
    c.confirmedAt = new Date().toISOString();
    this.stats.confirmed++;
    this.opts.log.info('serve: box online as itself; its hall is closed to claims', { boxId, serial: c.serial });
    this.dirty = true;
    this.schedule();
  }

  private async onRequest(serial: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const topic = claimTopics(serial).res;
    const correlation = packet.properties?.correlationData;
    const answerWith = (answer: ClaimAnswer) => {
      this.pending.push({ serial, topic, correlation, answer });
      this.schedule();
    };
    const refuse = (code: string, message: string) => {
      this.stats.refused++;
      this.opts.log.warn('serve: claim refused', { serial, code, message });
      answerWith({ ok: false, error: { code, message } });
    };
    let req: ClaimRequest;
    try {
      req = readClaimRequest(payload, topic.replace(/res$/, 'req'));
    } catch (err) {
      if (err instanceof BadRequestError) return refuse('bad_request', err.message);
      throw err;
    }
    if (req.serial !== serial) return refuse('bad_request', `claim on topic of ${serial} names serial ${req.serial}`);
    // Install codes carry 40 bits; a leaked claim credential that guesses them is slowed to a few a second for the
    // whole fleet (client ids are free to change, so the limit cannot be per client). A legitimate box refused
    // here retries with backoff.
    const g = this.opts.codeGuesses ?? { burst: 50, perSecond: 5 };
    const now = (this.opts.now ?? Date.now)();
    this.guesses = Math.max(0, this.guesses - ((now - (this.guessesAt || now)) / 1000) * g.perSecond);
    this.guessesAt = now;
    if (req.installCode !== undefined && this.guesses > g.burst - 1) {
      return refuse('rate_limited', `too many wrong install codes; claim ${serial} again in a minute`);
    }
    let d = decide(this.ix!, req);
    const stale = ['unknown_code', 'unknown_serial', 'serial_mismatch', 'already_claimed', 'claim_in_progress', 'serial_taken'];
    if ('refuse' in d && stale.includes(d.refuse.code) && Date.now() - this.lastReload > 1000) {
      await this.reload(); // a hall imported, or reset by a technician, after serve loaded the database
      d = decide(this.ix!, req);
    }
    if ('refuse' in d) {
      if (d.refuse.code === 'unknown_code') this.guesses++;
      return refuse(d.refuse.code, d.refuse.message);
    }
    const boxId = d.grant;
    const hall = this.ix!.halls[boxId];
    const id = this.ix!.identities[boxId];
    const answer: ClaimAnswer = { ok: true, boxId, brokers: [hall.broker], hall: { name: hall.name, groups: hall.groups } };
    if (this.opts.updateKeyPem) answer.updateKey = this.opts.updateKeyPem;
    const claim: Claim = { serial, issuedAt: new Date().toISOString(), kind: req.kind };
    // Reserved before any await, so a second serial asking for the same hall meanwhile is refused.
    this.ix!.claims[boxId] = claim;
    this.ix!.claimedBySerial.set(serial, boxId);
    const unreserve = (code: string, message: string) => {
      delete this.ix!.claims[boxId];
      this.ix!.claimedBySerial.delete(serial);
      refuse(code, message);
    };
    if (req.kind === 'certificate') {
      if (!this.opts.ca || !this.caPem) return unreserve('no_ca', 'this carrier has no CA; run `diemcau-provision ca` or claim a password');
      try {
        answer.certificate = await signCsr(this.opts.ca, req.csr!, boxId);
      } catch (err) {
        return unreserve('bad_request', errorToWire(err).message);
      }
      answer.ca = this.caPem;
      claim.certificate = answer.certificate;
    } else {
      answer.username = id.username;
      try {
        answer.sealed = seal(req.pub!, serial, id.password);
      } catch (err) {
        return unreserve('bad_request', errorToWire(err).message);
      }
    }
    if (id.label && req.pub) {
      try {
        answer.label = seal(req.pub!, serial, id.label); // the technician page's label password, for either kind
      } catch (err) {
        return unreserve('bad_request', errorToWire(err).message);
      }
    }
    this.dirty = true;
    this.stats.granted++;
    this.opts.log.info('serve: claim granted', { serial, boxId, kind: req.kind, by: req.installCode !== undefined ? 'install code' : 'serial' });
    answerWith(answer);
  }

  private schedule(): void {
    if (this.timer || this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A failed write is logged and the claims stay dirty for the next flush: an unhandled rejection would end
      // the service, and a rejected chain would skip every later flush.
      this.flushing = this.flushing
        .then(() => this.flush())
        .catch((err: Error) => {
          this.dirty = true;
          this.opts.log.error('serve: claims not recorded; will try again with the next claim', { err: err.message });
        });
    }, this.opts.flushMs ?? 20);
  }

  /** Claims to disk first, answers second. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (this.dirty) {
      this.dirty = false;
      await this.store.write('claims', this.ix!.claims);
    }
    const client = this.client;
    if (!client) return;
    await Promise.all(
      batch.map((p) =>
        client.publishAsync(p.topic, JSON.stringify(p.answer), {
          qos: 1,
          properties: p.correlation ? { correlationData: p.correlation } : {},
        }),
      ),
    );
  }
}
