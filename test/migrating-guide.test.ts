import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  buildSchema,
  isEnumType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type SelectionSetNode,
} from 'graphql';
import { scopeCatalogue } from '../src/auth/scopes.ts';
import { webhookEventTypes } from '../src/modules/events.ts';

/**
 * MIGRATING.md names operations, event types, settings, enum values and scopes; this keeps every
 * one of them real. The conventions it checks are stated at the top of MIGRATING.md.
 */

const guide = readFileSync(new URL('../MIGRATING.md', import.meta.url), 'utf8');
const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
const configSource = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');

const roots = {
  query: schema.getQueryType(),
  mutation: schema.getMutationType(),
  subscription: schema.getSubscriptionType(),
} satisfies Record<string, GraphQLObjectType | null | undefined>;
const rootFields = new Set(Object.values(roots).flatMap((type) => (type ? Object.keys(type.getFields()) : [])));
const enumValues = new Set(
  Object.values(schema.getTypeMap()).flatMap((type) => (isEnumType(type) && !type.name.startsWith('__') ? type.getValues().map((value) => value.name) : [])),
);
/** Every variable the config schema reads: the keys of `envSchema` in src/config.ts. */
const settings = new Set([...configSource.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!));
const scopes = new Set(Object.keys(scopeCatalogue));
const eventTypes = new Set<string>(webhookEventTypes);

/** The five systems, by the start of their `## ` heading. */
const SYSTEMS = [
  '1. Interactions service with client webhooks',
  '2. Chat-streaming backend with teams and n8n agents',
  '3. WhatsApp SaaS with session keys',
  '4. API keys with webhook delivery',
  '5. Lead-capture backend',
];

type Section = { title: string; text: string; firstLine: number };
type Block = { lang: string; body: string; line: number; section: string; documents: string[] };
type Cell = { column: string; text: string; line: number; section: string };

/** What the guide gets wrong in its form (tables, code blocks, curl bodies): reported by "is well formed". */
const problems: string[] = [];

/** The guide cut at its `## ` headings; text before the first is the intro. */
function sections(markdown: string): Section[] {
  const result: Section[] = [];
  let current: Section = { title: '(intro)', text: '', firstLine: 1 };
  markdown.split('\n').forEach((line, index) => {
    if (/^## /.test(line)) {
      result.push(current);
      current = { title: line.slice(3).trim(), text: '', firstLine: index + 1 };
    }
    current.text += `${line}\n`;
  });
  result.push(current);
  return result;
}

/** Fenced code blocks with their language tag, and the table rows outside them. */
function scan(section: Section): { blocks: Block[]; cells: Cell[] } {
  const blocks: Block[] = [];
  const cells: Cell[] = [];
  const lines = section.text.split('\n');
  let fence: Block | null = null;
  let header: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNumber = section.firstLine + i;
    const fenceMatch = /^\s*```\s*([\w-]*)\s*$/.exec(line);
    if (fenceMatch) {
      if (fence) {
        blocks.push(fence);
        fence = null;
      } else {
        fence = { lang: fenceMatch[1]!.toLowerCase(), body: '', line: lineNumber, section: section.title, documents: [] };
      }
      continue;
    }
    if (fence) {
      fence.body += `${line}\n`;
      continue;
    }
    if (!line.trimStart().startsWith('|')) {
      header = null;
      continue;
    }
    const row = splitRow(line);
    if (!header) {
      if (!/^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1] ?? '')) problems.push(`MIGRATING.md:${lineNumber}: a table header without its separator row`);
      header = row;
      i++;
      continue;
    }
    if (row.length !== header.length) problems.push(`MIGRATING.md:${lineNumber}: ${row.length} cells under a header of ${header.length} (a stray "|"?)`);
    row.forEach((text, column) => cells.push({ column: header![column]!, text, line: lineNumber, section: section.title }));
  }
  if (fence) problems.push(`MIGRATING.md:${fence.line}: a code block that is never closed`);
  return { blocks, cells };
}

/** The cells of a `| a | b |` row, splitting on pipes outside backticks. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let inCode = false;
  for (const char of line.trim().replace(/^\|/, '').replace(/\|$/, '')) {
    if (char === '`') inCode = !inCode;
    if (char === '|' && !inCode) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell.trim());
  return cells;
}

const codeSpans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1]!.trim());

/** The GraphQL documents of a code block: the block itself, `gql` templates, or curl bodies. */
function documentsOf(block: Block): string[] {
  if (block.lang === 'graphql') return [block.body];
  if (block.lang === 'ts' || block.lang === 'typescript') return [...block.body.matchAll(/\bgql\s*`([^`]*)`/g)].map((match) => match[1]!);
  if (block.lang === 'sh' || block.lang === 'bash' || block.lang === 'shell') {
    return [...block.body.matchAll(/(?:-d|--data|--data-raw)\s+'([^']*)'/g)].flatMap((match) => {
      try {
        const { query } = JSON.parse(match[1]!) as { query?: unknown };
        if (typeof query === 'string') return [query];
        problems.push(`MIGRATING.md:${block.line}: a curl body without a "query"`);
      } catch (error) {
        problems.push(`MIGRATING.md:${block.line}: a curl body is not JSON: ${(error as Error).message}`);
      }
      return [];
    });
  }
  return [];
}

/** `type.field` for each root field the document selects, fragments followed. */
function rootSelections(document: DocumentNode): { operation: keyof typeof roots; field: string }[] {
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const fieldsOf = (set: SelectionSetNode): string[] =>
    set.selections.flatMap((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === '__typename' ? [] : [selection.name.value];
      if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      return fragment ? fieldsOf(fragment.selectionSet) : [];
    });
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION ? fieldsOf(definition.selectionSet).map((field) => ({ operation: definition.operation, field })) : [],
  );
}

const parts = sections(guide);
const scanned = parts.map((part) => ({ part, ...scan(part) }));
const allCells = scanned.flatMap(({ cells }) => cells);
const allBlocks = scanned.flatMap(({ blocks }) => blocks);
for (const block of allBlocks) block.documents = documentsOf(block);

/** Every operation the guide names, with where. */
const named: { name: string; where: string; root?: keyof typeof roots }[] = [];
/** Every example document, with where. */
const examples: { document: DocumentNode; where: string }[] = [];
for (const cell of allCells.filter((c) => c.column === 'Operation')) {
  for (const span of codeSpans(cell.text)) {
    const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(span)?.[0];
    if (!name) problems.push(`MIGRATING.md:${cell.line}: \`${span}\` in an Operation column does not start with an operation name`);
    else named.push({ name, where: `MIGRATING.md:${cell.line} (${cell.section})` });
  }
}
for (const block of allBlocks) {
  for (const source of block.documents) {
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      problems.push(`MIGRATING.md:${block.line}: a ${block.lang} example does not parse: ${(error as Error).message}`);
      continue;
    }
    const where = `MIGRATING.md:${block.line} (${block.section}, ${block.lang})`;
    examples.push({ document, where });
    for (const { operation, field } of rootSelections(document)) named.push({ name: field, root: operation, where });
  }
}

describe('MIGRATING.md', () => {
  it('has a section for each of the five systems, each with its tables and a curl and a client example', () => {
    for (const title of SYSTEMS) {
      const found = scanned.find(({ part }) => part.title.startsWith(title));
      assert.ok(found, `no "## ${title}" section`);
      const columns = new Set(found.cells.map((cell) => cell.column));
      assert.ok(columns.has('Operation'), `"${title}" has no table with an Operation column`);
      assert.ok(columns.has('Event type'), `"${title}" has no table with an Event type column`);
      const curl = found.blocks.filter((block) => block.lang === 'sh' && /curl[^\n]*localhost:4000\/graphql/.test(block.body));
      assert.ok(curl.some((block) => block.documents.length > 0), `"${title}" has no curl example against localhost:4000/graphql`);
      const client = found.blocks.filter((block) => block.lang === 'ts' && /from '(@apollo\/client|@urql\/core|urql)'/.test(block.body));
      assert.ok(client.some((block) => block.documents.length > 0), `"${title}" has no Apollo Client or urql example`);
      const names = new Set(named.filter(({ where }) => where.includes(`(${found.part.title}`)).map(({ name }) => name));
      assert.ok(names.size >= 8, `"${title}" names only ${names.size} operations`);
    }
  });

  it('starts with how to authenticate, the endpoint, the error shape and the tenantId of webhook bodies', () => {
    const intro = parts.filter((part) => !SYSTEMS.some((title) => part.title.startsWith(title))).map((part) => part.text).join('\n');
    for (const needle of ['http://localhost:4000/graphql', 'X-API-Key', 'Authorization: Bearer', 'extensions.code', 'tenantId', 'webhook-signature']) {
      assert.ok(intro.includes(needle), `the introduction does not mention ${needle}`);
    }
  });

  it('is well formed: its tables line up and every example parses', () => {
    assert.deepEqual(problems, []);
  });

  it('found a healthy number of operations, so an extraction bug cannot pass unnoticed', () => {
    const distinct = new Set(named.map(({ name }) => name));
    assert.ok(distinct.size > 30, `only ${distinct.size} distinct operations found`);
    assert.ok(named.filter(({ root }) => root).length > 15, 'too few operations found in code examples');
  });

  it('names only operations that exist, each on the root type it is used on', () => {
    const missing = new Map<string, string[]>();
    for (const { name, root, where } of named) {
      const type = root ? roots[root] : null;
      const exists = root ? Boolean(type?.getFields()[name]) : rootFields.has(name);
      if (!exists) missing.set(root ? `${root} ${name}` : name, [...(missing.get(root ? `${root} ${name}` : name) ?? []), where]);
    }
    const report = [...missing].map(([name, where]) => `${name}: ${where.join(', ')}`);
    assert.deepEqual(report, [], `operations not in schema.graphql:\n  ${report.join('\n  ')}`);
  });

  it('has examples that are valid against schema.graphql: arguments, input fields, selections, variables', () => {
    const invalid = examples
      // An operation missing from the schema is reported above, once.
      .filter(({ document }) => rootSelections(document).every(({ operation, field }) => roots[operation]?.getFields()[field]))
      .flatMap(({ document, where }) => validate(schema, document).map((error) => `${where}: ${error.message}`));
    assert.deepEqual(invalid, []);
  });

  it('maps events to webhook event types that exist', () => {
    const unknown = allCells
      .filter((cell) => cell.column === 'Event type')
      .flatMap((cell) => codeSpans(cell.text).filter((span) => !eventTypes.has(span)).map((span) => `MIGRATING.md:${cell.line}: ${span}`));
    assert.ok(allCells.some((cell) => cell.column === 'Event type' && codeSpans(cell.text).length > 0), 'no event types found');
    assert.deepEqual(unknown, [], `not webhook event types (webhook: true in src/modules/*/events.ts): ${unknown.join(', ')}`);
  });

  it('maps settings, enum values and scopes to ones that exist', () => {
    const check = (column: string, known: Set<string>, pattern: RegExp) =>
      allCells
        .filter((cell) => cell.column === column)
        .flatMap((cell) => codeSpans(cell.text).filter((span) => pattern.test(span) && !known.has(span)).map((span) => `MIGRATING.md:${cell.line}: ${span}`));
    assert.ok(settings.size > 40, `read only ${settings.size} settings from src/config.ts`);
    const unknown = [
      ...check('Setting here', settings, /^[A-Z][A-Z0-9_]+$/).map((where) => `${where} is not read by src/config.ts`),
      ...check('Value here', enumValues, /^[A-Z][A-Z0-9_]*$/).map((where) => `${where} is a value of no enum in schema.graphql`),
      ...check('Scope here', scopes, /./).map((where) => `${where} is not an API key scope`),
    ];
    assert.deepEqual(unknown, []);
  });
});
