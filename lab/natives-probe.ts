// A script that loads and uses every native module of an installed agent tree, for the package checks: run by the
// packaged Node inside a Debian root (arm64 under qemu-user-static) as `node -e NATIVES_PROBE TREE`. It prints one
// JSON line, {module: "ok" | "error message"}, and exits 1 if any failed.
export const NATIVE_MODULES = ['unix-dgram', 'epoll', '@serialport/bindings-cpp', '@roamhq/wrtc'] as const;

export const NATIVES_PROBE = String.raw`
const { createRequire } = require('node:module');
const { mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const req = createRequire(join(process.argv[1], 'package.json'));
const result = {};
const probe = async (name, use) => {
  try { await use(req(name)); result[name] = 'ok'; } catch (err) { result[name] = String(err && err.message || err).split('\n')[0]; }
};
(async () => {
  await probe('unix-dgram', (m) => new Promise((resolve, reject) => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-')); // $TMPDIR when set: the suite's, which must end empty
    const rx = m.createSocket('unix_dgram'), tx = m.createSocket('unix_dgram');
    const done = (err) => { rx.close(); tx.close(); rmSync(dir, { recursive: true }); err ? reject(err) : resolve(); };
    rx.on('message', (b) => done(b.toString() === 'READY=1' ? null : new Error('got ' + b)));
    rx.on('error', done);
    rx.bind(join(dir, 's'));
    const b = Buffer.from('READY=1');
    tx.send(b, 0, b.length, join(dir, 's'));
    setTimeout(() => done(new Error('no datagram in 10 s')), 10000).unref();
  }));
  await probe('epoll', (m) => { const e = new m.Epoll(() => {}); e.close(); });
  // A pty master is a terminal: open sets its line discipline and starts the native poller, as for a camera.
  await probe('@serialport/bindings-cpp', async (m) => { const port = await m.autoDetect().open({ path: '/dev/ptmx', baudRate: 9600 }); await port.close(); });
  await probe('@roamhq/wrtc', async (m) => {
    const pc = new m.RTCPeerConnection();
    pc.createDataChannel('probe');
    const offer = await pc.createOffer();
    pc.close();
    if (!/^v=0/.test(offer.sdp)) throw new Error('no SDP offer');
  });
  console.log(JSON.stringify(result));
  process.exit(Object.values(result).every((v) => v === 'ok') ? 0 : 1);
})();
`;
