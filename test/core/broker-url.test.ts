// Broker URLs are checked strictly (issue 13, item 4): mqtt.js took `mqtt://127.0.0.1:18830x` as port 1883 and
// `http://` as a WebSocket URL, without a word. The schema's pattern (agent config, halls CSV) and the one-line
// fault the CLI prints agree on every case.
import t from 'tap';
import { BROKER_URL_PATTERN, brokerUrlFault } from '../../core/broker-url.js';
import { BROKER_URL_PATTERN as SCHEMA_PATTERN } from '../../core/config/schema.js';

const GOOD = ['mqtt://localhost:1883', 'mqtt://localhost', 'mqtts://mqtt1.carrier.example:8883', 'mqtts://[::1]:8883', 'mqtt://10.0.0.5:1', 'mqtt://b:65535', 'mqtt://my_host.lan:1883'];
const BAD: Array<[string, RegExp]> = [
  ['mqtt://127.0.0.1:18830x', /port "18830x", which is not a number/],
  ['mqtt://127.0.0.1:0', /port 0, which is not from 1 to 65535/],
  ['mqtt://127.0.0.1:65536', /port 65536, which is not from 1 to 65535/],
  ['mqtt://127.0.0.1:', /port "", which is not a number/],
  ['http://127.0.0.1:1883', /scheme http:\/\/: give mqtt:\/\/ or mqtts:\/\//],
  ['ws://b:8080', /scheme ws:\/\//],
  ['127.0.0.1:1883', /is not a URL/],
  ['mqtt://', /has no host/],
  ['mqtt://:1883', /has no host/],
  ['mqtt://b:1883/path', /has a path/],
  ['mqtt://user:pw@b:1883', /user or password/],
  ['mqtt://bad host:1883', /host "bad host"/],
  ['mqtts://[::1]x', /after the address/],
];

t.test('good URLs pass both checks; bad ones fail both, the fault naming the part', async (t) => {
  t.equal(SCHEMA_PATTERN, BROKER_URL_PATTERN, 'the config schema uses this pattern');
  const re = new RegExp(BROKER_URL_PATTERN);
  for (const u of GOOD) {
    t.equal(brokerUrlFault(u), null, `${u}: no fault`);
    t.ok(re.test(u), `${u}: matches the pattern`);
  }
  for (const [u, why] of BAD) {
    t.match(brokerUrlFault(u), why, `${u}: ${brokerUrlFault(u)}`);
    t.notOk(re.test(u), `${u}: does not match the pattern`);
  }
});
