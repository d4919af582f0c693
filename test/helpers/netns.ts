// Tests use the same network namespaces as the demo and the media bench.
export * from '../../agent/demo/netns.js';
