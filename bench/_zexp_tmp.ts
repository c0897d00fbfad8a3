import { readFileSync } from 'node:fs';
import { createNodeDeflateCodec } from './_codec_tmp.ts';
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const codec = createNodeDeflateCodec();
const msg = new TextEncoder().encode(JSON.stringify(Array.from({ length: 60 }, (_, k) => ({ k, v: 'value' + k }))));
(globalThis as any).gc(); const before = rss();
const keep: unknown[] = [];
for (let n = 0; n < 2000; n++) {
  const d = codec.acquireDeflate(15), i = codec.acquireInflate(15);
  const c = d.compress(msg); i.inflate(c, 1e9); keep.push(d, i);
}
(globalThis as any).gc(); (globalThis as any).gc();
console.log(process.argv[2] ?? 'default', ((rss() - before) / 2000).toFixed(1), 'KiB per deflate+inflate pair; arrayBuffers MB', process.memoryUsage().arrayBuffers / 1e6);
