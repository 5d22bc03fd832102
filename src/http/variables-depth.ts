import { badInput, type AppError } from '../errors.ts';

/** Deeper than any input of this API needs; checked before anything walks the variables recursively. */
export const MAX_VARIABLE_DEPTH = 64;

/**
 * BAD_USER_INPUT naming the variable when its value nests deeper than MAX_VARIABLE_DEPTH, else null.
 * Iterative, so that a hostile document cannot overflow the stack here either.
 */
export function variablesTooDeep(variables: unknown): AppError | null {
  const pending: { value: unknown; depth: number; path: string }[] = [{ value: variables, depth: 0, path: '' }];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    // Only JSON structure nests; an uploaded File or a buffer is a leaf.
    if (!isJsonContainer(value)) continue;
    if (depth > MAX_VARIABLE_DEPTH) {
      const field = path.split('.').slice(0, 2).join('.');
      return badInput(field, `${field}: nests deeper than ${MAX_VARIABLE_DEPTH} levels`);
    }
    for (const [key, child] of Object.entries(value)) {
      pending.push({ value: child, depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
  return null;
}

function isJsonContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
