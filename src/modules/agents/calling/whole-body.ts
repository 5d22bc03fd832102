import { bufferLimit, completed, failed, tooLarge, type Emit, type Ending, type ReplyParser } from './parser.ts';
import { replyOfJson } from './plain-json.ts';

/**
 * An answer that is not streamed: the whole body is read, then handed on as one delta. A
 * `text/plain` body is the reply itself (n8n's "Respond With: Text"); anything else is JSON.
 */
export class WholeBodyParser implements ReplyParser {
  private body = '';

  constructor(
    private readonly emit: Emit,
    private readonly isText: boolean,
    private readonly maxContentChars: number,
  ) {}

  push(text: string): Ending | undefined {
    this.body += text;
    return this.body.length > bufferLimit(this.maxContentChars) ? tooLarge : undefined;
  }

  end(): Ending {
    if (this.body.trim() === '') return failed('The agent answered with an empty body');
    const parsed = this.isText ? { reply: this.body } : replyOfJson(this.body);
    if ('reason' in parsed) return failed(parsed.reason);
    this.emit(parsed.reply);
    return completed;
  }
}
