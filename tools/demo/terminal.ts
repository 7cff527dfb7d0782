/**
 * Drawing on the terminal: a block of lines redrawn in place (TTY), or lines appended (anything else).
 */
export interface Output {
  write(text: string): boolean;
  isTTY?: boolean;
  /** Terminal width (a TTY stream has it). */
  columns?: number;
}

export class LiveBlock {
  private drawn = 0;
  private cursorHidden = false;

  constructor(private readonly out: Output) {}

  /** Replaces the block drawn last with these lines. */
  draw(lines: readonly string[]): void {
    let text = '';
    if (!this.cursorHidden) {
      text += '\x1b[?25l';
      this.cursorHidden = true;
      // Ctrl-C ends the process through process.exit: give the cursor back then too.
      process.once('exit', this.showCursor);
    }
    if (this.drawn > 0) text += `\x1b[${this.drawn}F`;
    for (const line of lines) text += `\x1b[2K${line}\n`;
    // A shorter block leaves old lines below: clear them.
    if (lines.length < this.drawn) text += '\x1b[J';
    this.drawn = lines.length;
    this.out.write(text);
  }

  private readonly showCursor = () => {
    if (this.cursorHidden) this.out.write('\x1b[?25h');
    this.cursorHidden = false;
  };

  /** Keeps what is on screen and gives the cursor back. */
  release(): void {
    process.off('exit', this.showCursor);
    this.showCursor();
    this.drawn = 0;
  }
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(out: Output, env: NodeJS.ProcessEnv = process.env): boolean {
  return out.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}
