// A GPIO line: the one interface the panel's buttons, LEDs and relays speak through. Real lines are sysfs GPIO
// through `onoff` (onoff-line.ts); simulated lines (sim-line.ts) let tests and the demo press buttons.
// Values are the electrical level (1 high, 0 low); what a level means (pressed, lit) is decided by the user.

export type Level = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface GpioLine {
  /** For messages: `talk button (BCM 17)`. */
  readonly name: string;
  /** BCM line number, as in config. */
  readonly bcm: number;
  read(): Promise<Level>;
  /** Output lines only. */
  write(value: Level): Promise<void>;
  /** Input lines only: called with the new level on each edge the line was opened for. */
  watch(cb: (value: Level) => void): void;
  unwatch(): void;
  /** Stops watching and gives the line back to the kernel. */
  release(): Promise<void>;
}

export interface LineOpener {
  /** Opens an input watched for `edge`; throws DisconnectedError naming the line when it cannot. */
  input(bcm: number, name: string, edge: Edge): Promise<GpioLine>;
  /** Opens an output driven to `initial` at once (relays start at their safe level). */
  output(bcm: number, name: string, initial: Level): Promise<GpioLine>;
}

export function lineName(role: string, bcm: number): string {
  return `${role} (BCM ${bcm})`;
}
