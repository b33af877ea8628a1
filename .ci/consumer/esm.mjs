// An ES module consumer: static imports of both entries. Usage: node esm.mjs <empty data dir>
import * as rehydra from 'rehydra';
import * as testing from 'rehydra/testing';
import { run } from './scenario.mjs';

await run(rehydra, testing, process.argv[2]);
console.log(`import: the scenario passed on Node ${process.version}`);
