// A broker URL as the agent and `diemcau-provision` take it: mqtt://host[:port] or mqtts://host[:port], nothing
// else. Checked strictly because mqtt.js is not strict: `mqtt://127.0.0.1:18830x` connects to port 1883 without a
// word, and `http://...` is taken as a WebSocket URL. The schema's pattern and `brokerUrlFault` say the same thing
// (test/core/broker-url.test.ts); the fault says which part is wrong, for a one-line error.
import { BadRequestError } from './errors.js';

const HOST = '(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)';
/** 1-65535 without leading zeros. */
const PORT = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';

/** mqtt://host[:port] or mqtts://host[:port]; an IPv6 address in brackets. */
export const BROKER_URL_PATTERN = `^mqtts?://${HOST}(:${PORT})?$`;

const HOST_RE = new RegExp(`^${HOST}$`);

/** Why `url` is not a broker URL, as a phrase to follow it (`... is not ...`); null when it is one. */
export function brokerUrlFault(url: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(url);
  if (!m) return 'is not a URL: give mqtt://host[:port] or mqtts://host[:port]';
  if (m[1] !== 'mqtt' && m[1] !== 'mqtts') return `has the scheme ${m[1]}://: give mqtt:// or mqtts://`;
  const rest = m[2];
  if (rest.includes('@')) return 'carries a user or password: the login comes from the database';
  if (rest.includes('/') || rest.includes('?') || rest.includes('#')) return 'has a path: give mqtt://host[:port] only';
  let host = rest;
  let port: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    host = end < 0 ? rest : rest.slice(0, end + 1);
    const after = end < 0 ? '' : rest.slice(end + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `has "${after}" after the address`;
      port = after.slice(1);
    }
  } else if (rest.includes(':')) {
    host = rest.slice(0, rest.lastIndexOf(':'));
    port = rest.slice(rest.lastIndexOf(':') + 1);
  }
  if (host === '') return 'has no host';
  if (!HOST_RE.test(host)) return `has the host "${host}", which is not a host name or address`;
  if (port !== undefined) {
    if (!/^[0-9]+$/.test(port)) return `has the port "${port}", which is not a number`;
    const n = Number(port);
    if (n < 1 || n > 65535 || port.startsWith('0')) return `has the port ${port}, which is not from 1 to 65535`;
  }
  return null;
}

/** Returns `url`, or throws BadRequestError: `<what> <url> <fault>`, e.g. `--url mqtt://h:1883x has the port ...`. */
export function checkBrokerUrl(url: string, what: string): string {
  const fault = brokerUrlFault(url);
  if (fault) throw new BadRequestError(`${what} ${url} ${fault}`);
  return url;
}
