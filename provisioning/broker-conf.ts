// The mosquitto.conf lines of a carrier's broker (Mosquitto 2.0), as `diemcau-provision broker-conf` prints them:
// the password file and ACL that `import` renders, the plugin that ties a client id to its login (the why is in
// broker-plugin/diemcau_clientid.c), a password listener and, with a TLS port, a client-certificate listener.
import { join } from 'node:path';
import { caPaths } from './ca.js';
import { crlPath } from './crl.js';
import type { Store } from './store.js';

export interface BrokerConfOptions {
  port: number;
  /** A client-certificate listener on this port. */
  tlsPort?: number;
  /** Listen on this address only (default: every address). */
  bind?: string;
  /** Where the broker finds the plugin `broker-plugin` built. */
  plugin: string;
}

/** `store` must have an absolute dir: the broker runs elsewhere. */
export function renderBrokerConf(store: Store, o: BrokerConfOptions): string[] {
  const ca = caPaths(store.dir);
  const bind = o.bind ? ` ${o.bind}` : '';
  const lines = [
    '# mosquitto.conf for diemcau (Mosquitto 2.0); passwd and acl are rewritten by `diemcau-provision import`.',
    'per_listener_settings false',
    // The central console takes every hall's retained presence and state at its connect, and a reply from every hall
    // to a national command within a second: with Mosquitto's default queue (1,000 messages per client beyond those
    // in flight) it got 1,020 of 10,400 states. A box's queue holds a few commands at most, so boxes are unaffected.
    'max_queued_messages 100000',
    '# A client id belongs to the login of that name (and `<name>-...`): no other login can take it over.',
    `plugin ${o.plugin}`,
    `plugin_opt_password_file ${store.path('passwd')}`,
    `password_file ${store.path('passwd')}`,
    `acl_file ${store.path('acl')}`,
    `listener ${o.port}${bind}`,
  ];
  if (o.tlsPort !== undefined) {
    lines.push(
      `listener ${o.tlsPort}${bind}`,
      `cafile ${ca.brokerCa}`,
      `certfile ${join(ca.brokerDir, 'server.crt')}`,
      `keyfile ${join(ca.brokerDir, 'server.key')}`,
      `crlfile ${crlPath(ca)}`,
      'require_certificate true',
      'use_identity_as_username true',
      // Certificate logins skip the password check, and the plugin with it: here the id is the certificate's CN.
      'use_username_as_clientid true',
    );
  }
  return lines;
}
