// The OTel preload's entry for `node --require`: plain CommonJS, because Node also runs --require
// in every worker thread (the Temporal worker's workflow threads), where no TypeScript hook is
// installed yet and where the SDK must not start a second time. In the compiled image
// (deploy/build/build-dist.ts) preload.js sits beside this file; from source, tsx loads preload.ts.
const { isMainThread } = require('node:worker_threads');
const { existsSync } = require('node:fs');
const path = require('node:path');

if (isMainThread) {
  if (existsSync(path.join(__dirname, 'preload.js'))) {
    require('./preload.js');
  } else {
    require('tsx/cjs');
    require('./preload.ts');
  }
}
