// Tests use the same broker runner as the demo and the benches.
export { startBroker, type Broker, type BrokerOptions } from '../../agent/demo/mosquitto.js';
