// Tests use the same free-port finder as the demo and the benches.
export { freeTcpPort, freeUdpPort } from '../../agent/demo/ports.js';
