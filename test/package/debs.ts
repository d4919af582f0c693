// What the package checks share: the packages `npm run package` built (dist/deb/) and the recipes of their roots.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** The Debian 12 roots the checks copy: systemd (to boot the amd64 one) and Mosquitto (a broker for the booted box). */
export const TEST_ROOT_AMD64 = ['test-amd64', 'amd64', ['systemd', 'systemd-sysv', 'dbus', 'mosquitto']] as const;
export const TEST_ROOT_ARM64 = ['test-arm64', 'arm64', ['systemd']] as const;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}

/** dist/deb/diemcau_<version>_<arch>.deb; throws naming the command to run when it is not built. */
export function builtDeb(arch: 'amd64' | 'arm64'): string {
  const f = join(REPO, 'dist/deb', `diemcau_${packageVersion()}_${arch}.deb`);
  if (!existsSync(f)) throw new Error(`${f} is missing: run npm run package first`);
  return f;
}
