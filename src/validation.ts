import type { Prisma } from './generated/prisma/client.ts';
import { z } from 'zod';
import { isCommonPassword } from './auth/common-passwords.ts';
import { fromZodError } from './errors.ts';

/** Parses service input, turning the first problem into a BAD_USER_INPUT that names its field. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be a valid email address'));

/** A new password: long enough, not blank, not one character repeated, not on the list of the most common. */
export const password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(200, 'must be at most 200 characters')
  .refine((value) => value.trim().length > 0, 'must not be blank')
  .refine((value) => new Set(value).size > 1, 'must not be one character repeated')
  .refine((value) => !isCommonPassword(value), 'is one of the most common passwords: choose another');

/** Postgres text cannot hold U+0000: refuse it as input instead of failing in the database. */
export const withoutNul = (schema: z.ZodString) => schema.refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');

export const displayName = (max: number) =>
  withoutNul(z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

/**
 * A JSON object of at most `maxBytes` once serialised, as the JSON scalar delivers it (typed
 * `unknown`). Postgres jsonb cannot hold U+0000, so that is refused here rather than failing there.
 */
export const jsonObject = (maxBytes: number) =>
  z
    .unknown()
    .pipe(z.record(z.string(), z.json(), { error: 'must be a JSON object' }))
    .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= maxBytes, `must be at most ${maxBytes} bytes as JSON`)
    .refine((value) => !JSON.stringify(value).includes('\\u0000'), 'must not contain NUL characters')
    .transform((value) => value as Prisma.InputJsonObject);
