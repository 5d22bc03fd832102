export type EndpointFilter = { events: string[]; sessionId: string | null };

/**
 * Whether an endpoint wants an event: its filter is empty or names the type, and an endpoint
 * bound to a channel session only hears events of that session.
 */
export function endpointWants(endpoint: EndpointFilter, event: { type: string; data: unknown }): boolean {
  if (endpoint.events.length > 0 && !endpoint.events.includes(event.type)) return false;
  if (!endpoint.sessionId) return true;
  const data = event.data as { sessionId?: unknown } | null;
  return data?.sessionId === endpoint.sessionId;
}
