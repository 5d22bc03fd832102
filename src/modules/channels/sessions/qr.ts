import type { SessionJson } from './messages.ts';

type QrSource = Pick<SessionJson, 'id' | 'channel' | 'phoneNumber' | 'phoneNumberId' | 'publishableKey'>;

/**
 * What scanning a session's QR code opens: WhatsApp's click-to-chat link to its number
 * (`https://wa.me/<digits>`), Messenger's `https://m.me/<page id>`, Instagram's
 * `https://ig.me/m/<account id>`, or the website widget's pairing link. Null until the session
 * knows the number or id it needs.
 */
export function qrLinkOf(session: QrSource, publicUrl: string): string | null {
  switch (session.channel) {
    case 'WHATSAPP':
      return session.phoneNumber ? `https://wa.me/${session.phoneNumber.replace(/\D/g, '')}` : null;
    case 'MESSENGER':
      return session.phoneNumberId ? `https://m.me/${session.phoneNumberId}` : null;
    case 'INSTAGRAM':
      return session.phoneNumberId ? `https://ig.me/m/${session.phoneNumberId}` : null;
    case 'WEBSITE':
      return session.publishableKey ? `${publicUrl}/widget/${session.id}?key=${encodeURIComponent(session.publishableKey)}` : null;
  }
}

/** The QR code of `qrLinkOf` as a PNG data URI (`data:image/png;base64,…`), or null when there is no link. */
export async function qrCodeOf(session: QrSource, publicUrl: string): Promise<string | null> {
  const link = qrLinkOf(session, publicUrl);
  if (!link) return null;
  // Loaded on first use: most servers never draw a QR code, and the module is not small. A
  // CommonJS module: its exports are `default` once bundled (Node alone also names them).
  const { default: qrcode } = await import('qrcode');
  return qrcode.toDataURL(link, { type: 'image/png', errorCorrectionLevel: 'M', margin: 2, width: 256 });
}
