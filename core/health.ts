// The health of one piece of hall hardware, as every driver reports it and the agent publishes it in `state.devices`.

export type HealthStatus = 'starting' | 'ok' | 'missing' | 'not answering' | 'error' | 'stopped';

export interface Health {
  status: HealthStatus;
  /** Stable code for `error` / `not answering` (ours or the device's own, e.g. `visca:41`). */
  code?: string;
  /** One line naming the device and what is wrong. */
  message?: string;
  /** ms since epoch when this status began. */
  since: number;
}
