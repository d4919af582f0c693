// Builds the broker's client-id plugin (broker-plugin/diemcau_clientid.c; its header says why the broker needs
// it) with the C compiler of the provisioning host, against Mosquitto's plugin headers. Mosquitto loads it from
// the database's `broker/` directory by default, beside the password file it reads.
import { execFile } from 'node:child_process';
import { access, chmod, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadRequestError } from '../core/errors.js';
import { caPaths } from './ca.js';

/** The C source ships with the package: dist/provisioning/ is compiled from provisioning/, where it lives. */
export const PLUGIN_SOURCE = fileURLToPath(new URL('../../provisioning/broker-plugin/diemcau_clientid.c', import.meta.url));
export const PLUGIN_FILE = 'diemcau_clientid.so';

export const pluginPath = (dbDir: string) => join(caPaths(dbDir).brokerDir, PLUGIN_FILE);

export const pluginExists = (path: string) => access(path).then(() => true, () => false);

function compile(cc: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cc, args, { timeout: 60000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new BadRequestError(`no C compiler "${cc}" on this host (Debian: apt-get install gcc)`));
      }
      const header = /fatal error: (mosquitto\w*\.h): No such file/.exec(stderr);
      if (header) {
        return reject(new BadRequestError(`Mosquitto's plugin header ${header[1]} is missing (Debian: apt-get install mosquitto-dev libmosquitto-dev)`));
      }
      const first = stderr.split('\n').find((l) => /error/.test(l)) ?? err.message;
      reject(new BadRequestError(`${cc} could not build ${PLUGIN_SOURCE}: ${first.trim()}`));
    }),
  );
}

/** Compiles the plugin to `out`; `cc` is $CC or `cc`. */
export async function buildBrokerPlugin(out: string, cc = process.env.CC || 'cc'): Promise<void> {
  await mkdir(dirname(out), { recursive: true, mode: 0o750 });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await compile(cc, ['-std=c11', '-O2', '-Wall', '-Wextra', '-fPIC', '-shared', PLUGIN_SOURCE, '-o', tmp]);
    await chmod(tmp, 0o644);
    // Renamed into place, never rewritten: a running broker keeps the library it loaded until it restarts.
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
}
