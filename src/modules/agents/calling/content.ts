import type { Emit } from './parser.ts';

/** The reply so far: passes each delta on at once, and takes nothing beyond `maxChars`. */
export class ReplyContent {
  private readonly parts: string[] = [];
  private length = 0;
  /** A delta did not fit: the reply holds only its part that did. */
  exceeded = false;

  constructor(
    private readonly maxChars: number,
    private readonly onDelta: Emit,
  ) {}

  readonly add = (delta: string): void => {
    if (delta === '' || this.exceeded) return;
    const room = this.maxChars - this.length;
    if (delta.length > room) {
      this.exceeded = true;
      delta = delta.slice(0, isHighSurrogate(delta, room - 1) ? room - 1 : room);
      if (delta === '') return;
    }
    this.parts.push(delta);
    this.length += delta.length;
    this.onDelta(delta);
  };

  get text(): string {
    return this.parts.join('');
  }
}

/** Cutting after a high surrogate would leave half a character. */
function isHighSurrogate(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff;
}
