// A CommonJS consumer: require() of the ES module package (require(esm), Node >= 20.19 and 22.12).
// Usage: node require.cjs <empty data dir>
const rehydra = require('rehydra');
const testing = require('rehydra/testing');
const { run } = require('./scenario.mjs');

run(rehydra, testing, process.argv[2]).then(
  () => console.log(`require: the scenario passed on Node ${process.version}`),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
