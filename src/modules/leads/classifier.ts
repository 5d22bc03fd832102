/**
 * The lead intent classifier: a fixed list of rules, each a named signal with a weight. A rule
 * that matches adds its weight once, and keeps what it matched as evidence, so that anyone can
 * see why a lead is HOT. English, with the commonest Portuguese and Spanish words, since
 * conversations arrive over WhatsApp.
 */
import type { LeadIntent } from '../../generated/prisma/client.ts';

/** One rule that matched: its name, what it added to the score, and what it matched. */
export type LeadSignal = { signal: string; weight: number; evidence: string[] };

export type Classification = { intent: LeadIntent; score: number; signals: LeadSignal[] };

/** What a lead says: the inbound messages of its conversation, oldest first, and its notes. */
export type ClassifierInput = { messages: readonly string[]; notes?: string | null };

/** A score at or above this is HOT. */
export const HOT_THRESHOLD = 50;
/** A score at or above this (and below HOT) is WARM; anything lower is COLD. */
export const WARM_THRESHOLD = 20;
/** Messages from which a conversation counts as engaged. */
const ENGAGED_MESSAGES = 3;
/** Evidence kept per signal, so that a long conversation cannot bloat the lead. */
const MAX_EVIDENCE = 5;

/** What the rules read: the text as written, the same without case and accents, and the number of messages. */
type Reading = { raw: string; plain: string; messageCount: number };

type Rule = { signal: string; weight: number; description: string; find(reading: Reading): string[] };

/** A rule matching whole words or phrases, written as people write them (accents and all). */
const words = (signal: string, weight: number, description: string, terms: string[]): Rule => {
  const patterns = terms.map((term) => ({ term, pattern: wordPattern(term) }));
  return { signal, weight, description, find: ({ plain }) => patterns.filter(({ pattern }) => pattern.test(plain)).map(({ term }) => term) };
};

const EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.\p{L}{2,}/gu;
/** 9 to 15 digits, so that dates and most amounts are not taken for phone numbers. */
const PHONE = /(?<![\p{L}\p{N}])\+?\(?\d[\d\s().-]{6,}\d(?![\p{L}\p{N}])/gu;
const AMOUNT = String.raw`\d(?:[\d.,]*\d)?`;
const MONEY = new RegExp(
  String.raw`(?:R\$|US\$|\$|€|£)\s?${AMOUNT}(?:\s?(?:k|mil)(?![\p{L}\p{N}]))?` +
    String.raw`|(?<![\p{L}\p{N}])${AMOUNT}\s?k?\s?(?:usd|eur|brl|gbp|dollars?|euros?|reais|pesos|dólares)(?![\p{L}\p{N}])`,
  'giu',
);

const found = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((match) => match[0].trim());
const digitCount = (text: string) => text.replace(/\D/g, '').length;

/** Every rule, in the order its signal is listed on a lead. */
export const rules: readonly Rule[] = [
  words('buying_words', 30, 'Asks about buying: price, quote, demo, trial, contract, how much…', [
    'price', 'pricing', 'quote', 'buy', 'purchase', 'demo', 'trial', 'contract', 'how much', 'cost', 'subscription',
    'preço', 'orçamento', 'comprar', 'contrato', 'quanto custa', 'valor', 'assinatura',
    'precio', 'presupuesto', 'cotización', 'cuánto cuesta', 'suscripción',
  ]),
  words('urgency', 20, 'Needs it soon: today, asap, urgent, this week…', [
    'today', 'asap', 'urgent', 'urgently', 'right away', 'immediately', 'this week', 'tomorrow',
    'hoje', 'urgente', 'amanhã', 'imediatamente', 'esta semana',
    'hoy', 'mañana', 'inmediatamente', 'cuanto antes',
  ]),
  {
    signal: 'contact_details',
    weight: 15,
    description: 'Gives an email address or a phone number (9 to 15 digits).',
    find: ({ raw }) => [...found(EMAIL, raw), ...found(PHONE, raw).filter((phone) => digitCount(phone) >= 9 && digitCount(phone) <= 15)],
  },
  { signal: 'budget', weight: 20, description: 'Names an amount of money: $5,000, R$ 2.000, 300 EUR…', find: ({ raw }) => found(MONEY, raw) },
  { signal: 'question', weight: 5, description: 'Asks a question.', find: ({ raw }) => (/[?¿]/.test(raw) ? ['?'] : []) },
  {
    signal: 'engaged',
    weight: 10,
    description: `Wrote ${ENGAGED_MESSAGES} messages or more.`,
    // Not the count itself: a lead should not change (and be announced) with every further message.
    find: ({ messageCount }) => (messageCount >= ENGAGED_MESSAGES ? [`${ENGAGED_MESSAGES}+ messages`] : []),
  },
  words('not_interested', -40, 'Says no: just looking, not interested, unsubscribe, wrong number…', [
    'just looking', 'just browsing', 'not interested', 'no thanks', 'unsubscribe', 'stop messaging', 'wrong number',
    'só olhando', 'não tenho interesse', 'sem interesse', 'não quero', 'número errado',
    'solo mirando', 'no me interesa', 'no estoy interesado', 'no gracias', 'número equivocado',
  ]),
];

/** Scores what the lead said and names the intent: HOT from HOT_THRESHOLD, WARM from WARM_THRESHOLD, else COLD. */
export function classify(input: ClassifierInput): Classification {
  const raw = [...input.messages, input.notes ?? ''].join('\n');
  const reading = { raw, plain: normalise(raw), messageCount: input.messages.length };
  const signals: LeadSignal[] = [];
  for (const rule of rules) {
    const evidence = [...new Set(rule.find(reading))].slice(0, MAX_EVIDENCE);
    if (evidence.length > 0) signals.push({ signal: rule.signal, weight: rule.weight, evidence });
  }
  const score = signals.reduce((sum, signal) => sum + signal.weight, 0);
  return { intent: intentOf(score), score, signals };
}

function intentOf(score: number): LeadIntent {
  if (score >= HOT_THRESHOLD) return 'HOT';
  return score >= WARM_THRESHOLD ? 'WARM' : 'COLD';
}

/** Lower case without accents, so that "Preço", "preco" and "PREÇO" read alike. */
function normalise(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** A whole-word, whitespace-tolerant pattern for a term, to test against `normalise`d text. */
function wordPattern(term: string): RegExp {
  const body = normalise(term)
    .split(/\s+/)
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'u');
}
