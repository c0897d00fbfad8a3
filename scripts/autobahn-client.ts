// Drives Autobahn|Testsuite's fuzzingserver with our WHATWG WebSocket client:
//   wstest -m fuzzingserver -s fuzzingserver.json          (in another shell)
//   node --import tsx scripts/autobahn-client.ts [ws://127.0.0.1:9001] [agent]
// Every case echoes what it receives, as the suite expects; results land in the suite's reports.
import { WebSocket } from '@switchboard/websocket';

const base = process.argv[2] ?? 'ws://127.0.0.1:9001';
const agent = process.argv[3] ?? 'switchboard';

/** Opens one endpoint of the fuzzing server; echoes every message; resolves with the first text message, if any. */
function visit(path: string, echo: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base}${path}`, [], { maxMessageSize: 64 * 1024 * 1024 });
    ws.binaryType = 'arraybuffer';
    let first: string | undefined;
    ws.onmessage = (event: MessageEvent) => {
      if (first === undefined && typeof event.data === 'string') first = event.data;
      if (echo) ws.send(event.data);
    };
    ws.onclose = () => resolve(first);
  });
}

const count = Number(await visit('/getCaseCount', false));
if (!Number.isInteger(count) || count < 1) throw new Error(`no case count from ${base}`);
for (let i = 1; i <= count; i++) {
  process.stdout.write(`\rcase ${i}/${count}`);
  await visit(`/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, true);
}
await visit(`/updateReports?agent=${encodeURIComponent(agent)}`, false);
console.log(`\nran ${count} cases as agent "${agent}"; see the fuzzingserver's report directory`);
