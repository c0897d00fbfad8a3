import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The JSON lines a fixture child prints, collected as they come, with a wait for the next match. */
export class ChildLines<T extends { event: string }> {
  readonly lines: T[] = [];
  private waiters: { match: (line: T) => boolean; resolve: (line: T) => void }[] = [];

  constructor(child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as T;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => !(w.match(line) && (w.resolve(line), true)));
    });
  }

  /** The next line (from now on) for which `match` holds. */
  next(match: (line: T) => boolean, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching line within ${timeoutMs} ms; lines: ${JSON.stringify(this.lines.slice(-5))}`)),
        timeoutMs,
      );
      this.waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }
}

/** What test/fixtures/sdk-subscriber.ts prints. */
export interface SubscriberLine {
  event: 'ready' | 'connected' | 'disconnected' | 'report';
  code?: number;
  reason?: string;
  received?: number;
  lastOffset?: number;
  skipped?: number;
  outOfOrder?: number;
  gaps?: number;
  snapshots?: number;
  closes?: number[];
  connects?: number;
}

const FIXTURE = fileURLToPath(new URL('../fixtures/sdk-subscriber.ts', import.meta.url));

/** An SDK subscriber to `channel` in its own process (to freeze or kill), with its output lines. */
export function spawnSdkSubscriber(
  url: string,
  channel: string,
): { child: ChildProcess; lines: ChildLines<SubscriberLine> } {
  const child = spawn(
    process.execPath,
    ['--conditions=@switchboard/source', '--import', 'tsx', FIXTURE, url, channel],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return { child, lines: new ChildLines<SubscriberLine>(child) };
}

/** Asks the subscriber for its summary of what the app received. */
export async function subscriberReport(s: {
  child: ChildProcess;
  lines: ChildLines<SubscriberLine>;
}): Promise<Required<SubscriberLine>> {
  const next = s.lines.next((l) => l.event === 'report');
  s.child.stdin!.write('report\n');
  return (await next) as Required<SubscriberLine>;
}
