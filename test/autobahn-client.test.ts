// The Autobahn client driver against a stand-in for wstest's fuzzingserver: it must read the case
// count, run every case echoing text and binary, and ask for the reports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { WebSocketServer } from '@switchboard/websocket';

const DRIVER = fileURLToPath(new URL('../scripts/autobahn-client.ts', import.meta.url));

describe('autobahn client driver', { timeout: 30_000 }, () => {
  it('runs every case, echoing, then updates the reports', async () => {
    const server = new WebSocketServer();
    const seen: string[] = [];
    const echoed: string[] = [];
    server.on('connection', (ws, request) => {
      seen.push(request.target);
      if (request.target === '/getCaseCount') return (ws.send('3'), ws.close(1000));
      if (request.target.startsWith('/updateReports')) return ws.close(1000);
      ws.on('message', (data, isBinary) => {
        echoed.push(`${isBinary ? 'bin' : 'txt'}:${data.toString('hex')}`);
        ws.close(1000);
      });
      if (request.target.includes('case=2')) ws.send(Buffer.from([0xde, 0xad]));
      else ws.send('hi');
    });
    const { port } = await server.listen(0);
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--conditions=@switchboard/source',
      '--import',
      'tsx',
      DRIVER,
      `ws://127.0.0.1:${port}`,
      'test-agent',
    ]);
    await server.close();
    assert.deepEqual(seen, [
      '/getCaseCount',
      '/runCase?case=1&agent=test-agent',
      '/runCase?case=2&agent=test-agent',
      '/runCase?case=3&agent=test-agent',
      '/updateReports?agent=test-agent',
    ]);
    assert.deepEqual(echoed, ['txt:6869', 'bin:dead', 'txt:6869']);
    assert.match(stdout, /ran 3 cases as agent "test-agent"/);
  });
});
