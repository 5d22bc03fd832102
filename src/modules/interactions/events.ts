import type { Catalogue } from '../../events/catalogue.ts';
import type { InteractionMessage } from './messages.ts';

export type InteractionEvents = {
  'interaction.created': InteractionMessage;
};

export const interactionEvents = {
  'interaction.created': { webhook: true, description: 'An interaction was registered.' },
} as const satisfies Catalogue<InteractionEvents>;
