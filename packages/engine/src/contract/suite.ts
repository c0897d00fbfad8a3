import { after, before, describe } from 'node:test';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `describe` whose tests share one fixture, created before them and closed after. */
export function describeWithFixture<F extends { close(): Promise<void> }>(
  title: string,
  timeoutMs: number,
  createFixture: () => Promise<F>,
  body: (fixture: () => F) => void,
): void {
  describe(title, { timeout: timeoutMs }, () => {
    let fixture: F;
    before(async () => {
      fixture = await createFixture();
    });
    after(() => fixture.close());
    body(() => fixture);
  });
}
