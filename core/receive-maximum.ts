// The MQTT 5 Receive Maximum every client of ours announces in CONNECT. To a client that announces none, Mosquitto
// 2.0 keeps `max_inflight_messages` (20) QoS 1 messages in flight, queues `max_queued_messages` (1000) more and drops
// the rest without a word: a burst of commands to a box, or the retained state of every box to the carrier's view.
// Our clients take each message as it comes (a box answers `busy` past its own queue, agent/command-slots.ts), so
// they announce the protocol's maximum and let TCP pace the broker.
export const RECEIVE_MAXIMUM = 65535;
