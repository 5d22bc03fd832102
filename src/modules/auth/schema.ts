import { clearSessionCookies, setSessionCookies } from '../../auth/cookies.ts';
import { REFRESH_COOKIE } from '../../auth/credentials.ts';
import { CSRF_COOKIE, CSRF_HEADER, type CsrfProof } from '../../auth/csrf.ts';
import { builder } from '../../schema/builder.ts';
import type { Context } from '../../schema/context.ts';
import { UserRef } from '../users/schema.ts';
import type { AuthSession } from './service.ts';

export const AuthPayload = builder.objectRef<AuthSession>('AuthPayload').implement({
  description:
    'A signed-in session. The tokens are also set as httpOnly cookies; cookie requests must echo ' +
    `the \`${CSRF_COOKIE}\` cookie in the \`${CSRF_HEADER}\` header.`,
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', { description: 'Short-lived JWT for `Authorization: Bearer`.' }),
    accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime', description: 'When the access token stops working.' }),
    refreshToken: t.exposeString('refreshToken', { description: 'Single-use token for `refresh`; each use returns a new one.' }),
    refreshTokenExpiresAt: t.expose('refreshTokenExpiresAt', { type: 'DateTime', description: 'When the refresh token stops working.' }),
    user: t.field({ type: UserRef, description: 'The signed-in user.', resolve: (session) => session.user }),
  }),
});

const SignUpInput = builder.inputType('SignUpInput', {
  description: 'A new tenant and its first admin.',
  fields: (t) => ({
    tenantName: t.string({ required: true, description: 'The team name, 1 to 100 characters.' }),
    email: t.string({ required: true, description: "The first admin's email." }),
    password: t.string({ required: true, description: '10 to 200 characters.' }),
    fullName: t.string({ description: "The first admin's display name." }),
  }),
});

const LoginInput = builder.inputType('LoginInput', {
  description: 'Credentials of a user.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Sign-in email.' }),
    password: t.string({ required: true, description: 'Password.' }),
    tenantSlug: t.string({ description: 'Needed only when the email belongs to several tenants.' }),
  }),
});

/** Sets the session's cookies on the answer, and answers it. */
export function startedSession(context: Context, session: AuthSession): AuthSession {
  setSessionCookies(context.cookies, session);
  return session;
}

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    description: 'Creates a tenant and its first admin, and signs them in.',
    args: { input: t.arg({ type: SignUpInput, required: true, description: 'The input; each field is described on `SignUpInput`.' }) },
    resolve: async (_root, { input }, context) =>
      startedSession(context, await context.services.auth.signUp(input, context.ip)),
  }),
  login: t.field({
    type: AuthPayload,
    description: 'Signs in. Five failures a minute for one email from one address answer RATE_LIMITED.',
    args: { input: t.arg({ type: LoginInput, required: true, description: 'The input; each field is described on `LoginInput`.' }) },
    resolve: async (_root, { input }, context) =>
      startedSession(context, await context.services.auth.login(input, context.ip)),
  }),
  refresh: t.field({
    type: AuthPayload,
    description:
      'Exchanges a refresh token (the argument, or the cookie) for a new session. A refresh token ' +
      'works once: presenting a used one revokes every token of its session.',
    args: { refreshToken: t.arg.string({ description: 'Omit to use the `refresh_token` cookie.' }) },
    resolve: async (_root, args, context) => {
      const session = args.refreshToken
        ? await context.services.auth.refresh(args.refreshToken, context.ip)
        : await context.services.auth.refresh(context.cookies.get(REFRESH_COOKIE), context.ip, csrfProof(context));
      return startedSession(context, session);
    },
  }),
  logout: t.boolean({
    description:
      'Ends the current session: its refresh tokens and access tokens stop working on every instance, ' +
      'open WebSocket connections made with it close, and the cookies are cleared.',
    args: {
      refreshToken: t.arg.string({
        description: "The session to end when not signed in with it. A signed-in caller may only give its own session's token (else FORBIDDEN).",
      }),
    },
    resolve: async (_root, args, context) => {
      const { auth } = context.services;
      const ended = args.refreshToken
        ? await auth.logout(context.viewer, args.refreshToken, context.ip)
        : await auth.logout(context.viewer, context.viewer ? null : context.cookies.get(REFRESH_COOKIE), context.ip, csrfProof(context));
      clearSessionCookies(context.cookies);
      return ended;
    },
  }),
}));

/** The CSRF proof of a request that uses the refresh_token cookie. */
function csrfProof(context: Context): CsrfProof {
  return { cookie: context.cookies.get(CSRF_COOKIE), header: context.csrfHeader };
}
