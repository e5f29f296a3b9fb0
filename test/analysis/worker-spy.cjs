// Preloaded into netdiag by run-workers.test.ts: says on stderr each time a worker thread starts.
const wt = require('node:worker_threads');
const { syncBuiltinESMExports } = require('node:module');
if (wt.isMainThread) {
  const Base = wt.Worker;
  wt.Worker = class extends Base {
    constructor(...args) {
      super(...args);
      process.stderr.write('worker-spy: worker started\n');
    }
  };
  syncBuiltinESMExports();
}
