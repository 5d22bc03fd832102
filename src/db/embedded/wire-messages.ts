/** Messages of the PostgreSQL wire protocol, as the session server reads and answers them. */

export const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const QUERY = 0x51; // 'Q'
const IDLE = 0x49; // 'I'
const IN_TRANSACTION = 0x54; // 'T'
export const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4]);
export const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/** Whether the backend's answer ends with ReadyForQuery, idle: no transaction, no batch open. */
export function endsIdle(answer: Buffer): boolean {
  return endsReady(answer, IDLE);
}

/** Whether the backend's answer ends with ReadyForQuery inside a transaction that has not failed. */
export function endsInTransaction(answer: Buffer): boolean {
  return endsReady(answer, IN_TRANSACTION);
}

function endsReady(answer: Buffer, status: number): boolean {
  const length = answer.length;
  return length >= 6 && answer[length - 6] === READY_FOR_QUERY && answer.readInt32BE(length - 5) === 5 && answer[length - 1] === status;
}

/** Where the answer to the first batch of `answer` ends: just past its first ReadyForQuery. */
export function afterFirstReadyForQuery(answer: Buffer): number {
  let offset = 0;
  while (offset + 5 <= answer.length) {
    const type = answer[offset];
    offset += 1 + answer.readInt32BE(offset + 1);
    if (type === READY_FOR_QUERY) return offset;
  }
  return answer.length;
}

/**
 * Whether the batch runs BEGIN alone, sent as a simple query or as a statement, prepared in the
 * batch or before it (`prepared`: the session's Parse messages by statement name).
 */
export function isBareBegin(messages: Buffer[], prepared: ReadonlyMap<string, Buffer>): boolean {
  const first = messages[0];
  if (!first) return false;
  if (first[0] === QUERY) return /^\s*BEGIN\s*;?\s*$/i.test(cstringAt(first, 5).text);
  const bind = messages.find((message) => message[0] === BIND);
  const parse = messages.find((message) => message[0] === PARSE) ?? (bind && prepared.get(cstringAt(bind, cstringAt(bind, 5).end).text));
  return parse !== undefined && /^\s*BEGIN\s*$/i.test(cstringAt(parse, cstringAt(parse, 5).end).text);
}

/** The batch's bytes, as a map key. */
export function batchKey(messages: Buffer[]): string {
  return Buffer.concat(messages).toString('latin1');
}

/** The statement name of a Parse message that names one; null for any other message. */
export function preparedName(message: Buffer): string | null {
  if (message[0] !== PARSE || message[5] === 0) return null;
  return message.toString('utf8', 5, message.indexOf(0, 5));
}

export function queryMessage(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`);
  const header = Buffer.alloc(5);
  header[0] = QUERY;
  header.writeInt32BE(text.length + 4, 1);
  return Buffer.concat([header, text]);
}

/** The NUL-terminated string at `offset`, and where the next field starts. */
function cstringAt(message: Buffer, offset: number): { text: string; end: number } {
  const nul = message.indexOf(0, offset);
  return { text: message.toString('utf8', offset, nul), end: nul + 1 };
}
