// Preloaded (--import) into a bench server started with --expose-gc and an IPC channel, for the
// scenarios that measure memory: on "memory" it runs a full GC and answers with heap and RSS, so
// the orchestrator reads retained memory, not garbage that has not been collected yet; on
// { snapshot: path } it writes a heap snapshot there after the same GC (bench/heap-per-connection.ts).
import { writeHeapSnapshot } from 'node:v8';

function collect(): void {
  globalThis.gc!();
  globalThis.gc!(); // a second pass collects what the first one's finalizers released
}

process.on('message', (message: unknown) => {
  if (message === 'memory') {
    collect();
    const { heapUsed, rss } = process.memoryUsage();
    process.send!({ heap: heapUsed, rss });
  } else if (typeof message === 'object' && message !== null && 'snapshot' in message) {
    collect();
    process.send!({ snapshot: writeHeapSnapshot((message as { snapshot: string }).snapshot) });
  }
});
