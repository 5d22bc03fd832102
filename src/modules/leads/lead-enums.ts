import { builder } from '../../schema/builder.ts';
import { HOT_THRESHOLD, WARM_THRESHOLD } from './classifier.ts';

export const LeadSourceEnum = builder.enumType('LeadSource', {
  description: 'Where a lead came from.',
  values: {
    MANUAL: { description: 'Entered by a person of the team.' },
    WEBSITE: { description: 'A conversation in the website widget.' },
    WHATSAPP: { description: 'A WhatsApp conversation.' },
    INSTAGRAM: { description: 'An Instagram direct-message conversation.' },
    MESSENGER: { description: 'A Facebook Messenger conversation.' },
  } as const,
});

export const LeadIntentEnum = builder.enumType('LeadIntent', {
  description: 'How ready to buy a lead looks, from the classifier\'s score (see `leadClassifier`) unless the team set it.',
  values: {
    HOT: { description: `A score of ${HOT_THRESHOLD} or more: strong buying signals (prices, urgency, contact details).` },
    WARM: { description: `A score from ${WARM_THRESHOLD} to ${HOT_THRESHOLD - 1}: some interest, not yet ready.` },
    COLD: { description: `A score under ${WARM_THRESHOLD}: no buying signal yet.` },
  } as const,
});
