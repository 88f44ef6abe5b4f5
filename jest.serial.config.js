/** Suites that stop or disturb shared servers (e.g. Kafka Connect): run one at a time, last. */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/serial'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 300_000,
};
