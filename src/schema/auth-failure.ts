import { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import { scopesForRole, type Scope } from '../auth/scopes.ts';
import { boundSessionOf } from '../auth/viewer.ts';
import { forbidden, unauthenticated, type AppError } from '../errors.ts';
import type { Context } from './context.ts';

/** Turns a scope-auth refusal into the error a client can act on. */
export function describeAuthFailure(context: Context, failure: AuthFailure): AppError {
  if (!context.viewer) return context.credentialError ?? unauthenticated();
  const missing = firstMissingScope(failure);
  const sessionScope = missing?.scope === 'scope' && String(missing.parameter).startsWith('sessions:');
  if (boundSessionOf(context.viewer) !== null && !sessionScope) {
    return forbidden("A session API key works only for its own session's operations");
  }
  if (missing?.scope === 'admin') return forbidden('Only admins can do this');
  if (missing?.scope === 'scope') {
    const scope = missing.parameter as Scope;
    if (!scopesForRole(context.viewer.role).includes(scope)) return forbidden('Only admins can do this');
    return forbidden(`This API key lacks the "${scope}" scope`);
  }
  return forbidden();
}

function firstMissingScope(failure: AuthFailure): { scope: string; parameter: unknown } | undefined {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return failure;
    case AuthScopeFailureType.AllAuthScopes:
    case AuthScopeFailureType.AnyAuthScopes:
      return failure.failures.map(firstMissingScope).find(Boolean);
    default:
      return undefined;
  }
}
