import type { Catalogue } from '../../events/catalogue.ts';
import type { InteractionMessage } from './messages.ts';

export type InteractionEvents = {
  'interaction.created': InteractionMessage;
  'interaction.transcription_requested': { interactionId: string };
};

export const interactionEvents = {
  'interaction.created': { webhook: true, description: 'An interaction was registered (a recording: once transcribed).' },
  'interaction.transcription_requested': { webhook: false, description: 'A recorded interaction is to be transcribed.' },
} as const satisfies Catalogue<InteractionEvents>;
