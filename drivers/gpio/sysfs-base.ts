// Which sysfs GPIO number a BCM line has. Raspberry Pi kernels from 6.6 on no longer start the SoC's GPIO chip
// at 0: it sits at a dynamic base (512 on a Pi 4, 571 on a Pi 5), so sysfs number = chip base + BCM line. The SoC
// chip is the one whose label is the SoC pin controller: pinctrl-bcm2835 (Pi 1-3, Zero), pinctrl-bcm2711 (Pi 4,
// 400, CM4), pinctrl-rp1 (Pi 5's RP1 south bridge). Each chip is /sys/class/gpio/gpiochipN with files `base`,
// `ngpio` and `label` (Documentation/admin-guide/gpio/sysfs.rst, "GPIO controllers").
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DisconnectedError } from '../../core/errors.js';

export const SYSFS_GPIO_ROOT = '/sys/class/gpio';
export const SOC_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

export interface GpioChip {
  /** `gpiochip512` */
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

export async function listChips(root = SYSFS_GPIO_ROOT): Promise<GpioChip[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    throw new DisconnectedError(`gpio: ${root} is not there (${(err as NodeJS.ErrnoException).code}): no sysfs GPIO on this system`);
  }
  const chips: GpioChip[] = [];
  for (const name of entries.filter((e) => /^gpiochip\d+$/.test(e)).sort()) {
    const read = async (f: string) => (await readFile(join(root, name, f), 'utf8')).trim();
    try {
      chips.push({ name, base: Number(await read('base')), ngpio: Number(await read('ngpio')), label: await read('label') });
    } catch {
      // A chip directory without its attributes is being torn down; skip it.
    }
  }
  return chips;
}

/** The SoC's chip: by label, best first; else a chip at base 0 (old kernels, other boards); else null. */
export function pickSocChip(chips: GpioChip[]): GpioChip | null {
  for (const label of SOC_LABELS) {
    const c = chips.find((c) => c.label === label);
    if (c) return c;
  }
  return chips.find((c) => c.base === 0) ?? null;
}

/** sysfs number of BCM line `bcm`; throws naming the line when no chip fits. */
export async function sysfsNumber(bcm: number, root = SYSFS_GPIO_ROOT): Promise<number> {
  const chips = await listChips(root);
  const chip = pickSocChip(chips);
  if (!chip) {
    const seen = chips.map((c) => `${c.name}:${c.label}`).join(', ') || 'none';
    throw new DisconnectedError(`gpio: no SoC GPIO chip for BCM ${bcm} under ${root} (chips: ${seen})`);
  }
  if (bcm >= chip.ngpio) throw new DisconnectedError(`gpio: BCM ${bcm} is beyond ${chip.name} (${chip.label}, ${chip.ngpio} lines)`);
  return chip.base + bcm;
}
