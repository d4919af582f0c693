// One dispatcher for every command, the agent's own and each device's: validate against the command's schema,
// refuse what is stale, oversized, malformed or unknown, queue a burst (agent/command-slots.ts), run with a timeout,
// and answer on the MQTT 5 response topic with the correlation data. Handlers throw; this is the one place that
// turns an error into a response.
import type { IPublishPacket } from 'mqtt';
import { withDefaults } from '../core/schema/value.js';
import { supported } from '../core/schema/keywords.js';
import { parseJsonText } from '../core/schema/json-text.js';
import type { CommandSpec } from '../core/commands/define.js';
import { BadRequestError, DeviceTimeoutError, DiemcauError, errorToWire } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { parseCmdTopic, replyTree, responseTopicFault } from '../core/topics.js';
import { CommandSlots } from './command-slots.js';
import { schemaErrors } from '../core/schema/parse.js';
import type { CommandReply } from '../core/payloads.js';

export interface Reply {
  topic: string;
  payload: string;
  correlationData?: Buffer;
}

/** A reply's body: core/payloads.ts's CommandReply. */
export type ReplyBody = CommandReply;

export class CommandRouter {
  private readonly specs = new Map<string, CommandSpec>();
  private readonly slots = new CommandSlots();

  /**
   * `maxCommandBytes` is read per command, since a desired config may change it (the agent passes
   * `mqtt.maxCommandBytes`); without it only the broker's packet size bounds a command.
   */
  constructor(
    private readonly boxId: string,
    private readonly replyTopic: (name: string) => string,
    private readonly log: Logger,
    private readonly maxCommandBytes: () => number = () => Number.POSITIVE_INFINITY,
  ) {}

  register(spec: CommandSpec): void {
    if (this.specs.has(spec.name)) throw new Error(`command ${spec.name} is registered twice`);
    supported(spec.schema); // a keyword the validator would ignore fails here, not on the first message

    this.specs.set(spec.name, spec);
  }

  /** Removes every command whose name starts with `prefix` (a device that is being replaced). */
  unregister(prefix: string): void {
    for (const name of [...this.specs.keys()]) if (name.startsWith(prefix)) this.specs.delete(name);
  }

  list(): CommandSpec[] {
    return [...this.specs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Handles one incoming command message; returns the reply to publish (null when none can be addressed). */
  async handle(topic: string, payload: Buffer, packet: Pick<IPublishPacket, 'properties'>): Promise<Reply | null> {
    const t0 = performance.now(); // durations on the monotonic clock: a step of the wall clock must not count
    const parsed = parseCmdTopic(topic);
    const name = parsed?.name ?? topic;
    const props = packet.properties ?? {};
    const asked = props.responseTopic;
    // A response topic the box cannot publish to is refused on the default one, so the caller still learns why.
    const fault = asked === undefined ? null : responseTopicFault(this.boxId, asked);
    const replyTopic = asked === undefined || fault ? this.replyTopic(name) : asked;
    const reply = (body: Omit<ReplyBody, 'box' | 'cmd' | 'ms'>): Reply => ({
      topic: replyTopic,
      payload: JSON.stringify({ box: this.boxId, cmd: name, ...body, ms: Math.round(performance.now() - t0) } satisfies ReplyBody),
      correlationData: props.correlationData,
    });
    try {
      if (fault) {
        const shown = JSON.stringify(asked!.length > 200 ? `${asked!.slice(0, 200)}…` : asked);
        throw new BadRequestError(`${topic}: response topic ${shown} ${fault}; replies go under ${replyTree(this.boxId)}`);
      }
      const result = await this.run(name, topic, payload, props.messageExpiryInterval, t0);
      return reply({ ok: true, result: result ?? null });
    } catch (err) {
      const wire = errorToWire(err);
      if (!(err instanceof DiemcauError)) this.log.error('command failed unexpectedly', { cmd: name, err });
      else this.log.info('command refused', { cmd: name, code: wire.code, reason: wire.message });
      return reply({ ok: false, error: wire });
    }
  }

  private async run(name: string, topic: string, payload: Buffer, expiry: number | undefined, receivedAt: number): Promise<unknown> {
    if (expiry === undefined) {
      throw new BadRequestError(
        `${topic}: no message expiry: a command must carry an MQTT 5 message expiry interval, so a stale one never runs`,
      );
    }
    const limit = this.maxCommandBytes();
    if (payload.length > limit) {
      throw new BadRequestError(
        `${topic}: payload is ${payload.length} bytes, over the ${limit}-byte limit for commands (mqtt.maxCommandBytes)`,
      );
    }
    const spec = this.spec(name, topic);
    let args: unknown = {};
    if (payload.length > 0) {
      try {
        args = parseJsonText(payload.toString('utf8')); // depth bounded, whole numbers exact
      } catch (err) {
        throw new BadRequestError(`${topic}: payload ${(err as Error).message}`);
      }
    }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new BadRequestError(`${topic}: payload must be a JSON object of arguments`);
    }
    return this.execute(spec, topic, args, expiry, receivedAt);
  }

  /**
   * Runs a command for a caller on the box itself (the technician page): the same schema check, queue and timeout as
   * one from the broker; throws the error a reply would carry.
   */
  async invoke(name: string, args: Record<string, unknown>): Promise<unknown> {
    const what = `${name} (on the box)`;
    return this.execute(this.spec(name, what), what, args, Number.POSITIVE_INFINITY, performance.now());
  }

  private spec(name: string, what: string): CommandSpec {
    const spec = this.specs.get(name);
    if (!spec) throw new DiemcauError('unknown_command', `${what}: unknown command "${name}"`, { known: [...this.specs.keys()].sort() });
    return spec;
  }

  private async execute(spec: CommandSpec, topic: string, args: object, expiry: number, receivedAt: number): Promise<unknown> {
    const filled = withDefaults(spec.schema, args);
    const errors = schemaErrors(spec.schema, filled);
    if (errors.length > 0) throw new BadRequestError(`${topic}: bad arguments: ${errors.join('; ')}`, errors);
    const release = await this.slots.acquire(topic);
    let timer: NodeJS.Timeout | undefined;
    try {
      const waitedS = (performance.now() - receivedAt) / 1000;
      if (waitedS > expiry) {
        const why = `waited ${waitedS.toFixed(1)} s for a slot, past its message expiry of ${expiry} s; not run`;
        throw new DiemcauError('busy', `${topic}: ${why}`);
      }
      return await Promise.race([
        spec.run(filled as never),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new DeviceTimeoutError(`${topic}: no outcome within ${spec.timeoutMs} ms`)),
            spec.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      release();
    }
  }
}
