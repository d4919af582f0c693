// One error class per failure kind, each with a stable code that travels in MQTT responses and `state`.
// Every message names the thing at fault (a field, a device, a topic, a command).

export type ErrorCode =
  | 'config_invalid'
  | 'bad_request'
  | 'unknown_command'
  | 'protocol'
  | 'device_timeout'
  | 'device_refused'
  | 'disconnected'
  | 'busy'
  | 'disk_full'
  | 'write_failed'
  | 'internal';

export class DiemcauError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** A configuration (file or remote) that does not match the schema; `errors` lists its `path: reason` lines (at most 20, then how many more: core/schema/parse.ts). */
export class ConfigError extends DiemcauError {
  readonly errors: string[];
  constructor(source: string, errors: string[]) {
    super('config_invalid', `${source}: ${errors.length} error(s): ${errors.join('; ')}`, errors);
    this.errors = errors;
  }
}

/** A request (MQTT command or its arguments) that is malformed. */
export class BadRequestError extends DiemcauError {
  constructor(message: string, details?: unknown) {
    super('bad_request', message, details);
  }
}

/** A device answered with bytes that do not follow its protocol. */
export class ProtocolError extends DiemcauError {
  constructor(message: string, details?: unknown) {
    super('protocol', message, details);
  }
}

/** A device did not answer in time; the message says what was waited for. */
export class DeviceTimeoutError extends DiemcauError {
  constructor(message: string, details?: unknown) {
    super('device_timeout', message, details);
  }
}

/** A device answered with its own error; `deviceCode` is the device's code (e.g. VISCA 0x41). */
export class DeviceRefusedError extends DiemcauError {
  readonly deviceCode: string;
  constructor(message: string, deviceCode: string) {
    super('device_refused', message, { deviceCode });
    this.deviceCode = deviceCode;
  }
}

/** The port or link to a device or broker is gone. */
export class DisconnectedError extends DiemcauError {
  constructor(message: string, details?: unknown) {
    super('disconnected', message, details);
  }
}

/**
 * A file could not be written (a config being saved): `disk_full` when the file system has no space (or quota)
 * left, `write_failed` otherwise. One line naming the file, with the errno in `details`.
 */
export class WriteError extends DiemcauError {
  constructor(path: string, err: NodeJS.ErrnoException) {
    const errno = err.code ?? 'EIO';
    const full = errno === 'ENOSPC' || errno === 'EDQUOT';
    // Node's text is `EACCES: permission denied, open '<temp file>'`: keep the middle, name the real file.
    const reason = full ? 'the file system is full' : err.message.replace(/^[A-Z]+: /, '').split(',')[0];
    super(full ? 'disk_full' : 'write_failed', `${path}: cannot save: ${reason} (${errno})`, { path, errno });
  }
}

/** Turns anything thrown into the wire form used by command responses. */
export function errorToWire(err: unknown): { code: ErrorCode; message: string; details?: unknown } {
  if (err instanceof DiemcauError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}
