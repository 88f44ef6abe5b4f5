// The OTel preload's entry for `node --require`: plain CommonJS, because Node also runs --require
// in every worker thread (the Temporal worker's workflow threads), where no TypeScript hook is
// installed yet and where the SDK must not start a second time.
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  require('tsx/cjs');
  require('./preload.ts');
}
