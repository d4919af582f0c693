// How the agent and its media worker are started.
// The agent: with V8's lite mode. Measured (bench fleet, `agent_rss_ratio`): the agent with its simulated devices
// settles at about 1.58x the RSS of an empty node process without it and 1.25x with it. Lite mode runs JavaScript
// in the interpreter only; the agent is control-plane glue (MQTT, JSON, a few bytes of VISCA), and the media worker,
// which does the heavy lifting, runs without it. The bench quotes the cost as the ping round trip of a standalone
// agent with and without the flag, side by side. And `--expose-gc`, as the worker: the agent asks for a full
// collection every minute (heap-collect.ts; without it its RSS rose 8.7% over a 50-minute soak, uncollected garbage).
// `--no-expose-wasm` says what lite mode does anyway: with `--expose-gc` beside `--lite-mode`, V8 prints "Warning:
// disabling flag --expose_wasm due to conflicting flags" on stderr at every start, `diemcau version` included.
export const AGENT_NODE_FLAGS: readonly string[] = ['--lite-mode', '--expose-gc', '--no-expose-wasm'];

/** The media worker: `--expose-gc`, so that heap-collect.ts can ask for a full collection every 30 s (its header
 *  says why: without it the worker's RSS grew about 1 MB a minute in bench media, all of it uncollected garbage). */
export const WORKER_NODE_FLAGS: readonly string[] = ['--expose-gc'];
