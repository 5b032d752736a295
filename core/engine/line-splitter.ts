/** Turns output chunks into lines for the live console/log echo; very long lines are cut into pieces. */
const MAX_LINE = 64 * 1024;

export class LineSplitter {
  private pending = '';

  /** `emit` receives every complete line of one chunk at once, so a caller can write them in one go. */
  constructor(private readonly emit: (lines: string[]) => void) {}

  push(chunk: Buffer): void {
    const text = this.pending + chunk.toString('utf8');
    const lines = text.split('\n');
    let rest = lines.pop()!;
    const out: string[] = [];
    for (const l of lines) {
      if (l.length <= MAX_LINE) out.push(l.endsWith('\r') ? l.slice(0, -1) : l);
      else for (let i = 0; i < l.length; i += MAX_LINE) out.push(l.slice(i, i + MAX_LINE));
    }
    while (rest.length > MAX_LINE) {
      out.push(rest.slice(0, MAX_LINE));
      rest = rest.slice(MAX_LINE);
    }
    this.pending = rest;
    if (out.length) this.emit(out);
  }

  end(): void {
    if (this.pending !== '') this.emit([this.pending]);
    this.pending = '';
  }
}
