// Preloaded (--import) into a bench server started with --expose-gc and an IPC channel, for the
// scenarios that measure memory: on "memory" it runs a full GC and answers with heap and RSS, so
// the orchestrator reads retained memory, not garbage that has not been collected yet.
process.on('message', (message) => {
  if (message !== 'memory') return;
  globalThis.gc!();
  globalThis.gc!(); // a second pass collects what the first one's finalizers released
  const { heapUsed, rss } = process.memoryUsage();
  process.send!({ heap: heapUsed, rss });
});
