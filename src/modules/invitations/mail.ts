import { escapeHtml } from '../../mail/mailer.ts';

/** The invitation mail, in text and HTML. */
export function composeInvitation(invitation: { to: string; teamName: string; role: string; link: string; token: string; lifetimeHours: number }) {
  const { to, teamName, role, link, token, lifetimeHours } = invitation;
  const intro = `You are invited to join the team "${teamName}" as ${role === 'ADMIN' ? 'an admin' : 'a member'}. Open this link to accept:`;
  const lifetime = `The link works once, for ${lifetimeHours / 24} days.`;
  const text = [intro, '', link, '', `Or pass this token to the acceptInvitation mutation: ${token}`, '', lifetime].join('\n');
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    `<p><a href="${escapeHtml(link)}">Join ${escapeHtml(teamName)}</a></p>`,
    `<p>Or pass this token to the <code>acceptInvitation</code> mutation: <code>${escapeHtml(token)}</code></p>`,
    `<p>${escapeHtml(lifetime)}</p>`,
  ].join('\n');
  return { to, subject: `Join ${teamName}`, text, html };
}
