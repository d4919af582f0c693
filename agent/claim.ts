// Zero-touch claim, the box's side. A factory image carries a `claim` section: the box serial (its client id
// here), maybe an install code, and the carrier-wide claim credential that can do one thing only: ask for this
// box's identity on `diemcau/v1/claim/<serial>/req` (MQTT 5 request/response: response topic + correlation data)
// and read the answer on `.../res`. With a certificate identity the key is made here and only the CSR leaves.
// The answer is stored file by file (atomic), the box proves it can connect as itself, and only then is the
// config rewritten without `claim`: a power cut at any point leaves either the factory config or the full identity.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Config, type Config as ConfigT } from '../core/config/schema.js';
import { claimTopics } from '../core/topics.js';
import { ClaimRefusedError, ephemeralKey, readClaimAnswer, unseal, type ClaimAnswer, type ClaimGrantedT, type ClaimRequest } from '../core/claim.js';
import { parseWith } from '../core/schema/parse.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { saveConfigFile } from './config/load.js';
import { DiemcauError, DisconnectedError, DeviceTimeoutError, BadRequestError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 20000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args[0]}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    ),
  );
}

export const KEY_FILE = 'box.key';
export const CERT_FILE = 'box.crt';
export const CA_FILE = 'ca.crt';
export const UPDATE_KEY_FILE = 'update-key.pem';

/** The box key (made once, kept across retries, never sent) and a CSR for it. */
export async function boxCsr(dir: string, serial: string): Promise<string> {
  const key = join(dir, KEY_FILE);
  const exists = await access(key).then(() => true, () => false);
  if (!exists) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFileAtomic(key, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  }
  return run('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${serial}`]);
}

function tlsOptions(cfg: ConfigT): Partial<IClientOptions> {
  const t = cfg.mqtt.tls;
  if (!t) return {};
  const o: Partial<IClientOptions> = { rejectUnauthorized: t.rejectUnauthorized };
  if (t.ca) o.ca = readFileSync(t.ca);
  if (t.cert) o.cert = readFileSync(t.cert);
  if (t.key) o.key = readFileSync(t.key);
  return o;
}

async function connect(brokers: string[], base: IClientOptions, what: string): Promise<MqttClient> {
  const reasons: string[] = [];
  for (const url of brokers) {
    try {
      return await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10000, ...base });
    } catch (err) {
      reasons.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new DisconnectedError(`${what}: no broker accepted the connection (${reasons.join('; ')})`);
}

/** One request/response on the claim topics with the claim credential. */
export async function requestIdentity(cfg: ConfigT, req: ClaimRequest, timeoutMs: number): Promise<ClaimAnswer> {
  const c = cfg.claim!;
  const topics = claimTopics(c.serial);
  const client = await connect(
    cfg.mqtt.brokers,
    { clientId: c.serial, username: c.username, password: c.password, clean: true, ...tlsOptions(cfg) },
    `claim ${c.serial}`,
  );
  try {
    const correlation = randomBytes(12);
    const answer = new Promise<ClaimAnswer>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DeviceTimeoutError(`claim ${c.serial}: no answer on ${topics.res} within ${timeoutMs} ms (is \`diemcau-provision serve\` running?)`)),
        timeoutMs,
      );
      client.on('message', (_topic, payload, packet) => {
        const cd = packet.properties?.correlationData;
        if (!cd || !correlation.equals(cd)) return;
        clearTimeout(timer);
        try {
          resolve(readClaimAnswer(payload, c.serial, topics.res));
        } catch (err) {
          reject(err);
        }
      });
    });
    answer.catch(() => {});
    const granted = await client.subscribeAsync(topics.res, { qos: 1 });
    if (granted[0]?.qos === 128 || (granted[0]?.qos ?? 0) > 2) throw new DiemcauError('bad_request', `claim ${c.serial}: broker refused subscription to ${topics.res}`);
    await client.publishAsync(topics.req, JSON.stringify(req), {
      qos: 1,
      properties: { responseTopic: topics.res, correlationData: correlation },
    });
    return await answer;
  } finally {
    await client.endAsync(true).catch(() => {});
  }
}

/** The config a granted answer makes: identity in, claim section out; the carrier's label password, if any. Pure. */
export function claimedConfig(cfg: ConfigT, a: ClaimGrantedT, password?: string, label?: string): ConfigT {
  const dir = cfg.claim!.dir;
  const next: Record<string, unknown> = structuredClone(cfg);
  delete next.claim;
  next.box = { id: a.boxId };
  next.hall = a.hall;
  const mqttSection: Record<string, unknown> = { ...structuredClone(cfg.mqtt), brokers: a.brokers };
  delete mqttSection.username;
  delete mqttSection.password;
  if (a.certificate) {
    mqttSection.tls = { ...(cfg.mqtt.tls ?? {}), ca: join(dir, CA_FILE), cert: join(dir, CERT_FILE), key: join(dir, KEY_FILE) };
  } else {
    mqttSection.username = a.username;
    mqttSection.password = password;
  }
  next.mqtt = mqttSection;
  if (label !== undefined) next.technician = { ...cfg.technician, password: label };
  return parseWith(Config, next, `claim answer for ${a.boxId}`);
}

/**
 * Claims this box's identity and stores it: returns the new config (already saved at `configPath`).
 * Throws ClaimRefusedError, DeviceTimeoutError or DisconnectedError; on any throw the factory config is intact.
 */
export async function claimOnce(configPath: string, cfg: ConfigT, log: Logger): Promise<ConfigT> {
  const c = cfg.claim;
  if (!c) return cfg;
  const req: ClaimRequest = { serial: c.serial, kind: c.kind };
  if (c.installCode) req.installCode = c.installCode.toUpperCase();
  const eph = ephemeralKey();
  req.pub = eph.pub; // the password, and the label password of either kind, come sealed to it
  if (c.kind === 'certificate') req.csr = await boxCsr(c.dir, c.serial);
  log.info('claim: asking for identity', { serial: c.serial, kind: c.kind });
  const a = await requestIdentity(cfg, req, c.timeoutS * 1000);
  if (!a.ok) throw new ClaimRefusedError(c.serial, a.error.code, a.error.message);
  if (c.kind === 'certificate') {
    if (!a.certificate || !a.ca) throw new BadRequestError(`claim ${c.serial}: certificate asked for, answer carries none`);
    await writeFileAtomic(join(c.dir, CERT_FILE), a.certificate, 0o644);
    await writeFileAtomic(join(c.dir, CA_FILE), a.ca, 0o644);
  } else if (!a.username || !a.sealed) throw new BadRequestError(`claim ${c.serial}: password asked for, answer carries none`);
  const password = a.sealed ? unseal(eph.priv, c.serial, a.sealed) : undefined;
  const label = a.label ? unseal(eph.priv, c.serial, a.label) : undefined;
  if (a.updateKey) await writeFileAtomic(join(c.dir, UPDATE_KEY_FILE), a.updateKey, 0o644);
  const next = claimedConfig(cfg, a, password, label);
  // Prove the identity before dropping the factory config: a box that cannot log in as itself claims again.
  const self = await connect(
    next.mqtt.brokers,
    { clientId: `${a.boxId}-check`, username: next.mqtt.username, password: next.mqtt.password, clean: true, ...tlsOptions(next) },
    `claim ${c.serial}: log in as ${a.boxId}`,
  );
  await self.endAsync(true).catch(() => {});
  await saveConfigFile(configPath, next);
  log.info('claim: identity stored', { serial: c.serial, boxId: a.boxId });
  return next;
}

/** Claims until it works (backoff 1 s doubling to 60 s); a refusal is logged and retried, the carrier may fix it. */
export async function ensureClaimed(configPath: string, cfg: ConfigT, log: Logger, signal?: AbortSignal): Promise<ConfigT> {
  let delay = 1000;
  for (;;) {
    try {
      return await claimOnce(configPath, cfg, log);
    } catch (err) {
      if (signal?.aborted) throw err;
      log.warn('claim failed; retrying', { err, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
      delay = Math.min(60000, delay * 2);
    }
  }
}

/** Reads a PEM file the claim wrote, for callers that need the update key. */
export function readUpdateKey(dir: string): Promise<string> {
  return readFile(join(dir, UPDATE_KEY_FILE), 'utf8');
}
