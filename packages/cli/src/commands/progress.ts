/** A live progress line: rewritten in place on a TTY, a plain line every few seconds otherwise (logs, CI). */
export class Progress {
  private lastPlain = 0;
  private shown = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly plainEveryMs = 5000,
  ) {}

  line(text: string): void {
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${text}`);
      this.shown = true;
    } else if (Date.now() - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = Date.now();
      this.out.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.shown) this.out.write('\n');
  }
}
