import { builder } from '../../schema/builder.ts';
import { LeadIntentEnum, LeadSourceEnum } from './lead-enums.ts';
import { HOT_THRESHOLD, rules, WARM_THRESHOLD, type LeadSignal } from './classifier.ts';
import { signalsOf } from './messages.ts';
import { MAX_SEARCH_LENGTH, type LeadEvent } from './service.ts';
import { LIVE_ONLY } from '../../schema/live-only.ts';

const LeadIntentSourceEnum = builder.enumType('LeadIntentSource', {
  description: "Who decides a lead's intent.",
  values: {
    RULES: { description: 'The classifier, from what the lead said; re-decided on every message and update.' },
    OVERRIDE: { description: 'A team member set it; it stays until `updateLead` with `resetIntent: true`.' },
    AI: {
      description:
        "The team's intent agent (`setLeadIntentAgent`), asked again on every message; its reason is the `ai_verdict` signal. " +
        'When it fails or answers nonsense the rules decide again, and an `ai_unavailable` signal says why.',
    },
  } as const,
});

const LeadEventTypeEnum = builder.enumType('LeadEventType', {
  description: 'What happened to a lead.',
  values: {
    CREATED: { description: 'It was created, by hand or by a new conversation.' },
    UPDATED: { description: 'It changed: by hand, or by a new message of its conversation.' },
    DELETED: { description: 'It was deleted; `lead` is null.' },
  } as const,
});

const LeadSignalRef = builder.objectRef<LeadSignal>('LeadSignal').implement({
  description: 'A classifier rule that matched what the lead said: why the lead has its score.',
  fields: (t) => ({
    signal: t.exposeString('signal', { description: 'The rule, as `leadClassifier.rules` names it (e.g. `buying_words`, `urgency`).' }),
    weight: t.exposeInt('weight', { description: 'What it added to the score (negative for signs of no interest).' }),
    evidence: t.exposeStringList('evidence', { description: 'What it matched: the words, amounts or contact details found (at most 5).' }),
  }),
});

type Rule = (typeof rules)[number];
const LeadRuleRef = builder.objectRef<Rule>('LeadRule').implement({
  description: 'One rule of the lead classifier.',
  fields: (t) => ({
    signal: t.exposeString('signal', { description: 'Its name, as `LeadSignal.signal` gives it.' }),
    weight: t.exposeInt('weight', { description: 'What it adds to the score when it matches, once however often.' }),
    description: t.exposeString('description', { description: 'What it looks for.' }),
  }),
});

const LeadClassifierRef = builder.objectRef<{ hotThreshold: number; warmThreshold: number; rules: readonly Rule[] }>('LeadClassifier').implement({
  description: "How a lead's intent is decided while `intentSource` is RULES: the sum of the weights of the rules that match.",
  fields: (t) => ({
    hotThreshold: t.exposeInt('hotThreshold', { description: 'A score from this is HOT.' }),
    warmThreshold: t.exposeInt('warmThreshold', { description: 'A score from this (below HOT) is WARM; lower is COLD.' }),
    rules: t.field({ type: [LeadRuleRef], description: 'Every rule, in the order signals are listed.', resolve: (classifier) => [...classifier.rules] }),
  }),
});

const LeadRef = builder.prismaObject('Lead', {
  description: 'Someone who may buy: entered by hand, or made from a channel conversation.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    name: t.exposeString('name', { nullable: true, description: 'Their name.' }),
    email: t.exposeString('email', { nullable: true, description: 'Their email address, lower-cased.' }),
    phone: t.exposeString('phone', {
      nullable: true,
      description: 'Their phone number: digits with an optional leading + (as the channel gives it, for conversation leads).',
    }),
    notes: t.exposeString('notes', { nullable: true, description: "The team's notes; the classifier reads them too." }),
    source: t.expose('source', { type: LeadSourceEnum, description: 'Where the lead came from.' }),
    intent: t.expose('intent', {
      type: LeadIntentEnum,
      description:
        `How ready to buy they look: HOT from a score of ${HOT_THRESHOLD}, WARM from ${WARM_THRESHOLD}, else COLD, ` +
        'unless a team member set it (see `intentSource`).',
    }),
    intentSource: t.expose('intentSource', {
      type: LeadIntentSourceEnum,
      description: "Who decides `intent`: the rules, a team member, or the team's intent agent.",
    }),
    signals: t.field({
      type: [LeadSignalRef],
      description:
        'The classifier rules that matched, with their evidence, kept up to date even while the intent is overridden; plus, ' +
        "when the team has an intent agent, `ai_verdict` (the model's score and reason) or `ai_unavailable` (why the rules decided).",
      resolve: (lead) => signalsOf(lead),
    }),
    score: t.exposeInt('score', { description: "The sum of the weights of the rules' `signals`; while `intentSource` is AI, the model's score." }),
    conversationId: t.exposeID('conversationId', { nullable: true, description: 'The channel conversation it was made from; null for leads entered by hand.' }),
    contactId: t.exposeID('contactId', { nullable: true, description: 'The channel contact it was made from; null for leads entered by hand.' }),
    hotNotifiedAt: t.expose('hotNotifiedAt', {
      type: 'DateTime',
      nullable: true,
      description: "When it first turned HOT. The tenant's notification addresses (if any) were emailed then, and never again for this lead.",
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
  }),
});

const LeadEventRef = builder.objectRef<LeadEvent>('LeadEvent').implement({
  description: 'A lead was created, changed or deleted.',
  fields: (t) => ({
    type: t.expose('type', { type: LeadEventTypeEnum, description: 'What happened.' }),
    leadId: t.exposeID('leadId', { description: 'The lead.' }),
    lead: t.field({ type: LeadRef, nullable: true, description: 'The lead as it now is; null once deleted.', resolve: (event) => event.lead }),
  }),
});

const LeadFilter = builder.inputType('LeadFilter', {
  description: 'Which leads to list; every given condition must hold.',
  fields: (t) => ({
    source: t.field({ type: LeadSourceEnum, description: 'Only leads from this source.' }),
    intent: t.field({ type: LeadIntentEnum, description: 'Only leads of this intent.' }),
    search: t.string({ description: `Text found in the name, email, phone or notes, ignoring case; at most ${MAX_SEARCH_LENGTH} characters.` }),
  }),
});

const detailFields = {
  name: 'Their name, 1 to 200 characters.',
  email: 'Their email address.',
  phone: 'Their phone number: an optional +, then 7 to 15 digits (spaces, dots, dashes and brackets are dropped).',
  notes: 'Notes, up to 5000 characters; the classifier reads them.',
};

const CreateLeadInput = builder.inputType('CreateLeadInput', {
  description: 'A lead entered by hand: at least a name, an email or a phone.',
  fields: (t) => ({
    name: t.string({ description: detailFields.name }),
    email: t.string({ description: detailFields.email }),
    phone: t.string({ description: detailFields.phone }),
    notes: t.string({ description: detailFields.notes }),
    source: t.field({ type: LeadSourceEnum, description: 'Where the lead came from; MANUAL by default.' }),
    intent: t.field({ type: LeadIntentEnum, description: 'Set the intent yourself (`intentSource` OVERRIDE); omit to let the classifier read the notes.' }),
  }),
});

const UpdateLeadInput = builder.inputType('UpdateLeadInput', {
  description:
    'Changes to a lead; omitted fields stay, null clears name, email, phone or notes. A lead entered by hand keeps at ' +
    'least one of name, email and phone.',
  fields: (t) => ({
    name: t.string({ description: detailFields.name }),
    email: t.string({ description: detailFields.email }),
    phone: t.string({ description: detailFields.phone }),
    notes: t.string({ description: `${detailFields.notes} Changing them re-classifies the lead.` }),
    source: t.field({ type: LeadSourceEnum, description: 'Where the lead came from; null leaves it.' }),
    intent: t.field({
      type: LeadIntentEnum,
      description: 'Set the intent yourself: `intentSource` becomes OVERRIDE and the classifier no longer changes it. Null leaves it.',
    }),
    resetIntent: t.boolean({
      description: 'True hands the intent back to the classifier (`intentSource` RULES), which decides it at once. Not together with `intent`.',
    }),
  }),
});

builder.queryFields((t) => ({
  leads: t.withAuth({ scope: 'leads:read' }).prismaConnection(
    {
      type: 'Lead',
      cursor: 'id',
      description: "The tenant's leads, newest first.",
      args: { filter: t.arg({ type: LeadFilter, description: 'Only the leads that match; all by default.' }) },
      defaultSize: 20,
      maxSize: 100,
      resolve: (query, _root, { filter }, { services, viewer }) => services.leads.list(viewer.tenantId, filter, query),
    },
    { name: 'LeadConnection', description: 'A page of leads, newest first.' },
    { name: 'LeadEdge', description: 'A lead and its cursor.' },
  ),
  lead: t.withAuth({ scope: 'leads:read' }).field({
    type: LeadRef,
    nullable: true,
    description: "A lead of the tenant; another tenant's (or an unknown id) answers NOT_FOUND (an error, with `lead` null).",
    args: { id: t.arg.id({ required: true, description: 'The lead.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.leads.get(viewer.tenantId, id),
  }),
  leadClassifier: t.withAuth({ scope: 'leads:read' }).field({
    type: LeadClassifierRef,
    description: 'The rules and thresholds that decide intents, to explain a lead\'s `signals`.',
    resolve: () => ({ hotThreshold: HOT_THRESHOLD, warmThreshold: WARM_THRESHOLD, rules }),
  }),
}));

builder.mutationFields((t) => ({
  createLead: t.withAuth({ scope: 'leads:write' }).field({
    type: LeadRef,
    description: 'Enters a lead by hand and sends `lead.created`. One that is HOT emails the notification addresses.',
    args: { input: t.arg({ type: CreateLeadInput, required: true, description: 'The input; each field is described on `CreateLeadInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.leads.create(viewer.tenantId, input),
  }),
  updateLead: t.withAuth({ scope: 'leads:write' }).field({
    type: LeadRef,
    description:
      'Changes a lead and re-classifies it; sends `lead.updated` when something changed. The first time it turns HOT, ' +
      'the notification addresses are emailed.',
    args: {
      id: t.arg.id({ required: true, description: 'The lead.' }),
      input: t.arg({ type: UpdateLeadInput, required: true, description: 'The input; each field is described on `UpdateLeadInput`.' }),
    },
    resolve: (_root, { id, input }, { services, viewer }) => services.leads.update(viewer.tenantId, id, input),
  }),
  deleteLead: t.withAuth({ scope: 'leads:write' }).field({
    type: 'ID',
    description: 'Deletes a lead (its conversation stays) and answers its id.',
    args: { id: t.arg.id({ required: true, description: 'The lead.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.leads.delete(viewer.tenantId, id),
  }),
}));

builder.subscriptionField('leadChanged', (t) =>
  t.withAuth({ scope: 'leads:read' }).field({
    extensions: LIVE_ONLY,
    type: LeadEventRef,
    description: "Every lead of the viewer's tenant created, changed or deleted, live.",
    subscribe: (_root, _args, { services, viewer }) => services.leads.follow(viewer.tenantId),
    resolve: (event) => event,
  }),
);
