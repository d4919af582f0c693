// What a command is: a name, a schema for its arguments, a timeout and a handler. The agent's commands and every
// device's commands share this shape, so one dispatcher (agent/commands.ts) validates, times out and answers them.
import type { Static, TSchema } from './schema/type.js';

export interface CommandSpec<S extends TSchema = TSchema> {
  /** Topic name under cmd/, e.g. `ping`, `camera.move`. Lower case, dots, dashes. */
  name: string;
  /** One line for docs/mqtt.md and `--help`. */
  summary: string;
  /** TypeBox schema of the arguments (the JSON payload's `args`). */
  schema: S;
  /** How long the handler may take before the caller gets a `device_timeout` answer. */
  timeoutMs: number;
  run(args: Static<S>): Promise<unknown>;
}

/** Keeps type inference for a spec's handler arguments. */
export function command<S extends TSchema>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}
