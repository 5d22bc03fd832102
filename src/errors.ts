import type { ZodError } from 'zod';

/** The codes a client can rely on in `extensions.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'TEAM_SUSPENDED'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/**
 * An expected failure, raised by services and mapped once at the API edge.
 * Its message is written for the client; anything else thrown is masked.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const teamSuspended = () =>
  new AppError('TEAM_SUSPENDED', 'This team is suspended: its sign-ins, tokens and API keys are refused until it is resumed');

export const badInput = (field: string, message: string) =>
  new AppError('BAD_USER_INPUT', message, { field });

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);

export const forbidden = (message = 'You are not allowed to do this') =>
  new AppError('FORBIDDEN', message);

export const unauthenticated = (message = 'Authentication required') =>
  new AppError('UNAUTHENTICATED', message);

export const conflict = (field: string, message: string) =>
  new AppError('CONFLICT', message, { field });

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', `Too many attempts; try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
  });

/** PostgreSQL or Redis is down: the request may succeed when retried (HTTP 503). */
export const serviceUnavailable = (requestId: string, retryAfterSeconds = 5) =>
  new AppError('SERVICE_UNAVAILABLE', `A service this request needs is unavailable; retry shortly (request id ${requestId})`, {
    retryAfterSeconds,
  });

/** The first problem of a failed zod parse, as a BAD_USER_INPUT naming its field. */
export function fromZodError(error: ZodError): AppError {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'input';
  return badInput(field, `${field}: ${issue?.message ?? 'invalid value'}`);
}
