// The guide's projection module is the quickstart's: loaded by worker threads from the built copy.
export { handle } from '../quickstart/balances.projection.js';
