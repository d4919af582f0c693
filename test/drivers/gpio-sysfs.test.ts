// sysfs GPIO numbering on fake /sys/class/gpio trees shaped like a Pi 3, Pi 4 and Pi 5 running kernel 6.6+,
// an old kernel (base 0), and a board with no SoC chip.
import t from 'tap';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listChips, pickSocChip, sysfsNumber } from '../../drivers/gpio/sysfs-base.js';
import { DisconnectedError } from '../../core/errors.js';

async function tree(chips: Array<{ base: number; ngpio: number; label: string }>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'diemcau-sysfs-'));
  await writeFile(join(root, 'export'), '');
  await writeFile(join(root, 'unexport'), '');
  for (const c of chips) {
    const dir = join(root, `gpiochip${c.base}`);
    await mkdir(dir);
    await writeFile(join(dir, 'base'), `${c.base}\n`);
    await writeFile(join(dir, 'ngpio'), `${c.ngpio}\n`);
    await writeFile(join(dir, 'label'), `${c.label}\n`);
  }
  return root;
}

const cases = [
  // Pi 4, kernel 6.6: the SoC chip at 512, the firmware expander after it.
  { board: 'Pi 4', chips: [{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }, { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' }], bcm: 17, want: 529 },
  // Pi 5: RP1's bank at 571, with the SoC's own small banks (pinctrl-bcm2712) before it.
  {
    board: 'Pi 5',
    chips: [
      { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
      { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
      { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
    ],
    bcm: 17,
    want: 588,
  },
  { board: 'Pi 3', chips: [{ base: 512, ngpio: 54, label: 'pinctrl-bcm2835' }], bcm: 4, want: 516 },
  { board: 'old kernel', chips: [{ base: 0, ngpio: 54, label: 'pinctrl-bcm2835' }], bcm: 27, want: 27 },
  { board: 'other board, chip at 0', chips: [{ base: 0, ngpio: 32, label: 'gpio-mockup-A' }], bcm: 3, want: 3 },
];

for (const c of cases) {
  t.test(`${c.board}: BCM ${c.bcm} -> sysfs ${c.want}`, async (t) => {
    const root = await tree(c.chips);
    t.teardown(() => rm(root, { recursive: true, force: true }));
    t.equal((await listChips(root)).length, c.chips.length);
    t.equal(await sysfsNumber(c.bcm, root), c.want);
  });
}

t.test('no SoC chip, a line beyond the chip, no sysfs at all', async (t) => {
  const root = await tree([{ base: 600, ngpio: 8, label: 'raspberrypi-exp-gpio' }]);
  t.teardown(() => rm(root, { recursive: true, force: true }));
  t.equal(pickSocChip(await listChips(root)), null);
  await t.rejects(sysfsNumber(17, root), { message: /no SoC GPIO chip for BCM 17 .*gpiochip600:raspberrypi-exp-gpio/ });
  const pi4 = await tree([{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }]);
  t.teardown(() => rm(pi4, { recursive: true, force: true }));
  await t.rejects(sysfsNumber(60, pi4), { message: /BCM 60 is beyond gpiochip512 \(pinctrl-bcm2711, 58 lines\)/ });
  await t.rejects(sysfsNumber(17, join(pi4, 'nope')), DisconnectedError);
  // This machine has no /sys/class/gpio: the real default root reports that, naming the path.
  await t.rejects(sysfsNumber(17), { message: /\/sys\/class\/gpio is not there/ });
});
