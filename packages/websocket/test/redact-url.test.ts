// redactUrl: what of a WebSocket URL or request target may be logged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../src/index.js';

describe('redactUrl', () => {
  for (const [input, expected] of [
    ['/connection/websocket?token=eyJ.abc.def', '/connection/websocket?token=[redacted]'],
    ['/connection/websocket?a=1&token=secret&b', '/connection/websocket?a=[redacted]&token=[redacted]&[redacted]'],
    ['ws://user:pw@host:8000/ws?jwt=x#frag', 'ws://[redacted]@host:8000/ws?jwt=[redacted]#[redacted]'],
    ['/connection/websocket', '/connection/websocket'],
    ['ws://127.0.0.1:9001/', 'ws://127.0.0.1:9001/'],
  ] as const) {
    it(`${input} → ${expected}`, () => assert.equal(redactUrl(input), expected));
  }
});
