// Real GPIO lines: sysfs GPIO through the `onoff` package, numbered from the SoC chip's base (sysfs-base.ts).
// onoff always works under /sys/class/gpio; `root` only changes where the chip base is looked up.
import type { Gpio as OnoffGpio } from 'onoff';
import { DisconnectedError } from '../../core/errors.js';
import type { Edge, GpioLine, Level, LineOpener } from './line.js';
import { SYSFS_GPIO_ROOT, sysfsNumber } from './sysfs-base.js';

type GpioCtor = typeof OnoffGpio;

class OnoffLine implements GpioLine {
  constructor(
    private readonly gpio: OnoffGpio,
    readonly bcm: number,
    readonly name: string,
  ) {}

  async read(): Promise<Level> {
    return (await this.gpio.read()) as Level;
  }

  async write(value: Level): Promise<void> {
    await this.gpio.write(value);
  }

  watch(cb: (value: Level) => void): void {
    this.gpio.watch((err, value) => {
      if (!err) cb(value as Level);
    });
  }

  unwatch(): void {
    this.gpio.unwatchAll();
  }

  async release(): Promise<void> {
    this.gpio.unexport();
  }
}

export class OnoffLineOpener implements LineOpener {
  private ctor: GpioCtor | null = null;

  constructor(private readonly root = SYSFS_GPIO_ROOT) {}

  async input(bcm: number, name: string, edge: Edge): Promise<GpioLine> {
    const { Gpio, n } = await this.prepare(bcm, name);
    return this.open(name, n, () => new OnoffLine(new Gpio(n, 'in', edge), bcm, name));
  }

  async output(bcm: number, name: string, initial: Level): Promise<GpioLine> {
    const { Gpio, n } = await this.prepare(bcm, name);
    // 'high' / 'low' set direction and level in one write, so a relay never glitches to the other level.
    return this.open(name, n, () => new OnoffLine(new Gpio(n, initial ? 'high' : 'low'), bcm, name));
  }

  private async prepare(bcm: number, name: string): Promise<{ Gpio: GpioCtor; n: number }> {
    // Loaded here, not at the top: the native epoll module is only needed when real lines are asked for.
    this.ctor ??= ((await import('onoff')) as unknown as { Gpio: GpioCtor }).Gpio;
    const Gpio = this.ctor;
    if (!Gpio.accessible) {
      throw new DisconnectedError(`${name}: missing: ${SYSFS_GPIO_ROOT}/export cannot be opened (no sysfs GPIO, or no permission)`);
    }
    let n: number;
    try {
      n = await sysfsNumber(bcm, this.root);
    } catch (err) {
      throw new DisconnectedError(`${name}: missing: ${(err as Error).message}`);
    }
    return { Gpio, n };
  }

  private open(name: string, n: number, make: () => GpioLine): GpioLine {
    try {
      return make();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new DisconnectedError(`${name}: missing: cannot open sysfs GPIO ${n}: ${e.code ?? e.message}`);
    }
  }
}
