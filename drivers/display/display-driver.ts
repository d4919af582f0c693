// What the display device asks of a protocol driver (Samsung MDC, LG, CEC). Each driver speaks its own wire protocol
// over a port or tool it is given; the device (device.ts) owns the port, health and retries.

export interface DisplayState {
  power: 'on' | 'off' | 'unknown';
  /** Our input name (`hdmi1`), or `0xNN` for a code we have no name for; null when not known. */
  input: string | null;
  /** 0-100; null when the protocol cannot tell. */
  volume: number | null;
  mute: boolean | null;
}

export interface DisplayDriver {
  /** `samsung-mdc`, `lg`, `cec`. */
  readonly protocol: string;
  /** Inputs this protocol can name (for argument validation and docs). */
  readonly inputs: readonly string[];
  /** Attaches to the port (listeners, parser); the port is already open. */
  start(): Promise<void>;
  /** Detaches; rejects anything still waiting with DisconnectedError. */
  stop(): Promise<void>;
  setPower(on: boolean): Promise<void>;
  setInput(input: string): Promise<void>;
  setVolume(level: number): Promise<void>;
  setMute(on: boolean): Promise<void>;
  /** Reads the display's state; throws DeviceTimeoutError / DeviceRefusedError / DisconnectedError. */
  query(): Promise<DisplayState>;
}
