// Tests use the same Janus runner as the demo and the media bench.
export * from '../../agent/demo/janus.js';
