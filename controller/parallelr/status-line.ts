/**
 * The one live status line on a terminal, for local and fleet runs: redrawn in place, never wider than
 * the terminal (a wider line wraps and every `\r` redraw then leaves a broken line behind), following
 * resizes, throttled with a trailing draw so the line always ends up showing the latest counts.
 */

/** A stream the line is drawn on; a tty.WriteStream gives `columns` and 'resize' events. */
export interface StatusStream {
  write(text: string): unknown;
  columns?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface StatusLine {
  /** Redraw now, or soon (throttled) unless forced. */
  update(force?: boolean): void;
  /** Print a whole line above the status line. */
  print(text: string): void;
  /** Draw the last state, end the line, stop following resizes. */
  finish(): void;
}

/** Width used when the stream does not say (not a tty): COLUMNS, else 80. */
const DEFAULT_COLUMNS = 80;

/** The terminal's width in columns: the stream's own, else COLUMNS, else 80. */
export function terminalColumns(stream: StatusStream, env: NodeJS.ProcessEnv = process.env): number {
  if (typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  const fromEnv = Number(env['COLUMNS']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_COLUMNS;
}

/** Cuts text to at most `width` characters, marking a cut with `…`. */
export function fitToWidth(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('');
  return chars.slice(0, width - 1).join('') + '…';
}

/**
 * Starts a status line on `stream`. `render(width)` returns the text for a line of that many columns;
 * it is cut to width - 1 anyway (the last column would wrap on some terminals).
 */
export function createStatusLine(stream: StatusStream, render: (width: number) => string, throttleMs = 100): StatusLine {
  let width = terminalColumns(stream);
  let drawn = false;
  let finished = false;
  let lastDraw = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    lastDraw = Date.now();
    const usable = Math.max(1, width - 1);
    stream.write(`\r\x1b[2K${fitToWidth(render(usable), usable)}`);
    drawn = true;
  };
  const onResize = () => {
    width = terminalColumns(stream);
    if (drawn) draw();
  };
  stream.on?.('resize', onResize);
  return {
    update(force = false) {
      if (finished) return;
      const wait = lastDraw + throttleMs - Date.now();
      if (force || wait <= 0) draw();
      else if (!timer) timer = setTimeout(draw, wait).unref();
    },
    print(text) {
      if (drawn) stream.write('\r\x1b[2K');
      stream.write(text.endsWith('\n') ? text : `${text}\n`);
      if (drawn) draw();
    },
    finish() {
      stream.off?.('resize', onResize);
      draw();
      stream.write('\n');
      // The final state stays as drawn; later lines go below it.
      drawn = false;
      finished = true;
    },
  };
}
