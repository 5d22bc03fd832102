import type { Role } from './access-token.ts';

type ScopeDefinition = { description: string; adminOnly: boolean };

/**
 * Every permission an API key can carry. A user session holds every scope its role allows;
 * a key holds the subset it was created with, never more than its creator's role allows.
 */
export const scopeCatalogue = {
  'users:read': { description: 'List the users of the team', adminOnly: true },
  'users:write': { description: 'Create and change users', adminOnly: true },
  'tenant:write': { description: "Change the team's name and notification addresses", adminOnly: true },
  'api_keys:read': { description: 'List API keys', adminOnly: false },
  'api_keys:write': { description: 'Create, change, deactivate and delete API keys', adminOnly: false },
  'audit:read': { description: 'Read the audit log and follow it live', adminOnly: true },
  'agents:read': { description: 'Read agents', adminOnly: false },
  'agents:write': { description: 'Create, change and delete agents', adminOnly: true },
  'chats:read': { description: 'Read chats and messages, follow streams', adminOnly: false },
  'chats:write': { description: 'Create chats and send messages', adminOnly: false },
  'sessions:read': { description: 'Read channel sessions and their messages', adminOnly: false },
  'sessions:write': { description: 'Create and change channel sessions, send messages', adminOnly: true },
  'leads:read': { description: 'Read leads', adminOnly: false },
  'leads:write': { description: 'Create, change and delete leads', adminOnly: false },
  'analytics:read': { description: 'Read analytics', adminOnly: false },
  'interactions:read': { description: 'Read interactions and service clients', adminOnly: false },
  'interactions:write': { description: 'Register interactions and service clients', adminOnly: false },
  'webhooks:manage': { description: 'Manage webhook endpoints and deliveries', adminOnly: true },
} as const satisfies Record<string, ScopeDefinition>;

export type Scope = keyof typeof scopeCatalogue;

export const allScopes = Object.keys(scopeCatalogue) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(scopeCatalogue, value);
}

export function scopesForRole(role: Role): Scope[] {
  return role === 'ADMIN' ? allScopes : allScopes.filter((scope) => !scopeCatalogue[scope].adminOnly);
}
