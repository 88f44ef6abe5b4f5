/**
 * Suites that stop, disturb or saturate shared servers (Kafka Connect down, a consumer group member
 * killed, 200 sagas at once): run one at a time, after the others.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/serial'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 300_000,
};
