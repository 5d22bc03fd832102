import { tooLarge, type Emit, type Ending, type ReplyParser } from './parser.ts';

/** Cuts text that arrives in pieces into lines ending in \n or \r\n. */
export class LineBuffer {
  private partial = '';

  /** The lines completed by `text`, without their line breaks. */
  push(text: string): string[] {
    if (!text.includes('\n')) {
      this.partial += text;
      return [];
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    return lines.map(withoutCarriageReturn);
  }

  /** The length of the line still waiting for its line break. */
  get pendingLength(): number {
    return this.partial.length;
  }

  /** The text after the last line break, for a body that ended without one. */
  rest(): string {
    const rest = withoutCarriageReturn(this.partial);
    this.partial = '';
    return rest;
  }
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** A format read line by line: `line` answers an ending once the reply is over. */
export abstract class LineParser implements ReplyParser {
  protected readonly lines = new LineBuffer();

  constructor(
    protected readonly emit: Emit,
    private readonly maxLineChars: number,
  ) {}

  push(text: string): Ending | undefined {
    for (const line of this.lines.push(text)) {
      const ending = this.line(line);
      if (ending) return ending;
    }
    return this.lines.pendingLength > this.maxLineChars ? tooLarge : undefined;
  }

  abstract end(): Ending;

  protected abstract line(line: string): Ending | undefined;
}
