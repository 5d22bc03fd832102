import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, HOT_THRESHOLD, rules, WARM_THRESHOLD } from '../src/modules/leads/classifier.ts';

const signalsOf = (...messages: string[]) => Object.fromEntries(classify({ messages }).signals.map(({ signal, evidence }) => [signal, evidence]));

describe('lead classifier', () => {
  it('explains its score: each matching rule once, with its weight and what it matched', () => {
    const result = classify({ messages: ['What is the PRICE? I need a quote today.', 'Budget $5,000, write to ana@example.com or +55 11 98765-4321'] });
    assert.deepEqual(result.signals, [
      { signal: 'buying_words', weight: 30, evidence: ['price', 'quote'] },
      { signal: 'urgency', weight: 20, evidence: ['today'] },
      { signal: 'contact_details', weight: 15, evidence: ['ana@example.com', '+55 11 98765-4321'] },
      { signal: 'budget', weight: 20, evidence: ['$5,000'] },
      { signal: 'question', weight: 5, evidence: ['?'] },
    ]);
    assert.equal(result.score, 90);
    assert.equal(result.intent, 'HOT');
  });

  it('draws the lines at the thresholds: HOT from 50, WARM from 20, else COLD', () => {
    assert.deepEqual([HOT_THRESHOLD, WARM_THRESHOLD], [50, 20]);
    const verdict = (...messages: string[]) => {
      const { intent, score } = classify({ messages });
      return [intent, score];
    };
    assert.deepEqual(verdict('Can I buy it today'), ['HOT', 50]);
    assert.deepEqual(verdict('Can I buy it'), ['WARM', 30]);
    assert.deepEqual(verdict('I need it urgently'), ['WARM', 20]);
    assert.deepEqual(verdict('Is it blue?', 'Hello'), ['COLD', 5]);
    assert.deepEqual(verdict('Hi'), ['COLD', 0]);
    assert.deepEqual(classify({ messages: [] }), { intent: 'COLD', score: 0, signals: [] });
  });

  it('counts refusals against the lead', () => {
    assert.deepEqual(classify({ messages: ['Not interested, unsubscribe me'] }).signals, [
      { signal: 'not_interested', weight: -40, evidence: ['not interested', 'unsubscribe'] },
    ]);
    assert.deepEqual(classify({ messages: ['Just looking at the price'] }).intent, 'COLD');
    assert.deepEqual(classify({ messages: ['Price? Today! $300 USD', 'no thanks'] }).intent, 'WARM');
  });

  it('matches whole words only, whatever their case or accents', () => {
    assert.deepEqual(signalsOf('I will subscribe to your newsletter, buyers welcome, todays news'), {});
    assert.deepEqual(signalsOf('QUAL O PRECO? preciso HOJE'), { buying_words: ['preço'], urgency: ['hoje'], question: ['?'] });
    assert.deepEqual(signalsOf('¿Cuánto cuesta? lo necesito mañana, 300 EUR'), {
      buying_words: ['cuánto cuesta'],
      urgency: ['mañana'],
      budget: ['300 EUR'],
      question: ['?'],
    });
    assert.deepEqual(signalsOf('Orçamento de R$ 2.000 para amanhã'), { buying_words: ['orçamento'], urgency: ['amanhã'], budget: ['R$ 2.000'] });
    assert.deepEqual(signalsOf('no me interesa'), { not_interested: ['no me interesa'] });
  });

  it('tells phone numbers from dates and amounts', () => {
    assert.deepEqual(signalsOf('Meeting on 2024-01-15 with 10.000.000 visitors'), {});
    assert.deepEqual(signalsOf('call (11) 98765-4321'), { contact_details: ['(11) 98765-4321'] });
  });

  it('rewards a conversation of several messages, and reads the notes as well', () => {
    assert.deepEqual(signalsOf('hi', 'hello', 'anyone'), { engaged: ['3+ messages'] });
    assert.deepEqual(signalsOf('hi', 'hello', 'anyone', 'still there'), { engaged: ['3+ messages'] });
    assert.deepEqual(classify({ messages: ['hi'], notes: 'Asked for a demo by phone' }).signals, [{ signal: 'buying_words', weight: 30, evidence: ['demo'] }]);
  });

  it('keeps at most five pieces of evidence per signal', () => {
    const buying = classify({ messages: ['price pricing quote buy purchase demo trial contract'] }).signals[0]!;
    assert.deepEqual(buying.evidence, ['price', 'pricing', 'quote', 'buy', 'purchase']);
    assert.equal(buying.weight, 30);
  });

  it('names every rule once, each with a description', () => {
    assert.equal(new Set(rules.map((rule) => rule.signal)).size, rules.length);
    for (const rule of rules) assert.ok(rule.description.length > 0 && Number.isInteger(rule.weight), rule.signal);
  });
});
