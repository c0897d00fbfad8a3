// Preloaded (--import) into the test processes of `npm run mutation`. Stryker runs the tests in a sandbox copy
// whose node_modules is a symlink to the checkout's, so `@switchboard/x` would resolve to the checkout's
// unmutated packages/x: this maps any file of the checkout's packages/ back into the sandbox's.
import { realpathSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const sandbox = pathToFileURL(`${process.cwd()}/packages/`).href;
const checkout = pathToFileURL(`${realpathSync(`${process.cwd()}/node_modules`)}/../packages/`).href;
if (sandbox !== checkout) {
  const hook = `export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    return resolved.url.startsWith(${JSON.stringify(checkout)}) ? { ...resolved, url: ${JSON.stringify(sandbox)} \
+ resolved.url.slice(${checkout.length}) } : resolved;
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
}
