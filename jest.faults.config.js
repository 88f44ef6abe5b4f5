/**
 * The kill -9 fault suite (test/faults): every component killed and restarted in turn under a stream
 * of orders, then the invariant checker. The last phase of `bin/trackops test` (with
 * FAULT_SUITE_SCALE=2: two instances of each app process), after every other suite, since it takes
 * each shared server down once; `npm run test:faults` runs it alone with one instance of each.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 1_200_000,
};
