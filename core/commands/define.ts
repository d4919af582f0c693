// What a command is. The contract half, `CommandDef` (name, one-line summary, argument schema), lives in
// core/commands/ where the agent, diemcau-provision and the central console all read it; the agent binds a handler
// and a timeout to each (`command(def, timeoutMs, run)`), and its one dispatcher (agent/command-router.ts)
// validates, times out and answers them.
import type { Static, TSchema } from '../schema/type.js';
import { supported } from '../schema/keywords.js';

export interface CommandDef<S extends TSchema = TSchema> {
  /** Topic name under cmd/, e.g. `ping`, `camera.move`. Lower case, dots, dashes. */
  name: string;
  /** One line for docs/mqtt.md and `--help`. */
  summary: string;
  /** Schema of the arguments (the JSON payload). */
  schema: S;
}

export interface CommandSpec<S extends TSchema = TSchema> extends CommandDef<S> {
  /** How long the handler may take before the caller gets a `device_timeout` answer. */
  timeoutMs: number;
  run(args: Static<S>): Promise<unknown>;
}

/** A command of the contract; keeps the schema's static type. Throws on a keyword the validator does not know. */
export function defineCommand<S extends TSchema>(def: CommandDef<S>): CommandDef<S> {
  supported(def.schema);
  return def;
}

/** Binds a handler and its timeout to a command of the contract. The handler gets arguments the router has already
 *  checked against `def.schema`, so they have its static type. */
export function command<S extends TSchema>(def: CommandDef<S>, timeoutMs: number, run: (args: Static<S>) => Promise<unknown>): CommandSpec {
  supported(def.schema);
  return { ...def, timeoutMs, run: run as CommandSpec['run'] };
}
