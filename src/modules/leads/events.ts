import type { Catalogue } from '../../events/catalogue.ts';
import type { LeadMessage } from './messages.ts';

export type LeadEvents = {
  'lead.created': LeadMessage;
  'lead.updated': LeadMessage;
  'lead.deleted': LeadMessage;
  'lead.turned_hot': LeadMessage;
};

export const leadEvents = {
  'lead.created': { webhook: true, description: 'A lead was created.' },
  'lead.updated': { webhook: true, description: 'A lead was changed.' },
  'lead.deleted': { webhook: false, description: 'A lead was deleted.' },
  'lead.turned_hot': { webhook: false, description: 'A lead is HOT for the first time: its team is emailed.' },
} as const satisfies Catalogue<LeadEvents>;
