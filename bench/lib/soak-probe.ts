// Preloaded (--import) into the soak's `serve` child, which runs with
// --expose-gc and an IPC channel. On "sample" it runs a full GC and answers
// with what the soak records: RSS, heap used after GC, active handles, open
// TCP sockets, and the event loop's delay since the last sample. Nothing is
// added to the server for this; the probe only reads the process.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

process.on('message', (message) => {
  if (message !== 'sample') return;
  globalThis.gc!();
  globalThis.gc!(); // a second pass collects what the first one's finalizers released
  const { heapUsed, rss } = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  const sample = {
    rss,
    heapAfterGc: heapUsed,
    handles: resources.length,
    sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
    lagP99Ms: lag.percentile(99) / 1e6,
    lagMaxMs: lag.max / 1e6,
  };
  lag.reset();
  process.send!(sample);
});
