/** Adds `change` to the count of `key`, forgetting keys whose count falls to zero. */
export function countInFlight(counts: Map<string, number>, key: string, change: 1 | -1): void {
  const next = (counts.get(key) ?? 0) + change;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
