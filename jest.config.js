/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Suites that stop, disturb or saturate shared servers run alone afterwards (jest.serial.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/serial/', '<rootDir>/test/faults/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // cockatiel ships only ES modules; Node loads it natively, jest needs it turned into CommonJS.
    // jose too (ESM only since v6).
    '^.+/node_modules/(cockatiel|jose)/.+\\.js$': [
      'ts-jest',
      { diagnostics: false, tsconfig: { allowJs: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(cockatiel|jose)/)'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
