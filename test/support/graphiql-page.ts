/** GraphiQL as a person uses it: its editors, its Headers tab, its run button and its result pane. */
import type { Page } from 'puppeteer-core';

const RUN_BUTTON = '.graphiql-execute-button';

/** Opens GraphiQL with `query` in the editor (GraphiQL reads `?query=`). */
export async function openGraphiQL(page: Page, origin: string, query: string): Promise<void> {
  await page.goto(`${origin}/graphql?query=${encodeURIComponent(query)}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector(RUN_BUTTON, { timeout: 30_000 });
  await page.waitForSelector('.graphiql-query-editor .view-lines', { timeout: 30_000 });
}

/** Opens a new GraphiQL tab, which takes the editors over; type its query and headers next. */
export async function openTab(page: Page): Promise<void> {
  const tabs = await page.$$eval('.graphiql-tab', (elements) => elements.length);
  await page.click('.graphiql-tab-add');
  await page.waitForFunction((count) => document.querySelectorAll('.graphiql-tab').length > count, {}, tabs);
}

/** Types the headers into the Headers tab, as JSON, replacing what was there. */
export async function typeHeaders(page: Page, headers: Record<string, string>): Promise<void> {
  const tab = await page.waitForSelector('xpath///button[normalize-space()="Headers"]');
  await tab!.click();
  await replaceEditorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', JSON.stringify(headers));
}

/** Replaces the query in the editor. */
export async function typeQuery(page: Page, query: string): Promise<void> {
  await replaceEditorText(page, '.graphiql-query-editor', query);
}

/**
 * Selects all of an editor's text and types over it. Monaco closes brackets and quotes as they
 * are typed and types over the closing ones, so typing a whole one-line text leaves it as it is;
 * the text is read back to make sure.
 */
async function replaceEditorText(page: Page, editorSelector: string, text: string) {
  await page.waitForSelector(`${editorSelector} textarea`);
  await page.focus(`${editorSelector} textarea`);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text);
  const deadline = Date.now() + 5_000;
  let shown = await editorText(page, editorSelector);
  // Long lines are wrapped for display, and the wrapped part indented.
  const compact = (value: string) => value.replace(/\s+/g, '');
  while (compact(shown) !== compact(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    shown = await editorText(page, editorSelector);
  }
  if (compact(shown) !== compact(text)) throw new Error(`the editor shows ${JSON.stringify(shown)} instead of ${JSON.stringify(text)}`);
}

/**
 * An editor's text as drawn. Lines too long for the pane are wrapped and the wrapped part
 * indented, so a long value may show spaces it does not have: compare without them.
 */
function editorText(page: Page, editorSelector: string): Promise<string> {
  return page.$$eval(`${editorSelector} .view-line`, (lines) =>
    lines
      .map((line) => ({ top: parseFloat((line as HTMLElement).style.top) || 0, text: line.textContent ?? '' }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text.replace(/\u00a0/g, ' '))
      .join('')
      .trim(),
  );
}

export async function run(page: Page): Promise<void> {
  await page.click(RUN_BUTTON);
}

/** The result pane's text. */
export function resultText(page: Page): Promise<string> {
  return editorText(page, '.graphiql-response');
}

/** Waits until the result pane shows a JSON document that `accept` takes, and answers it. */
export async function waitForResult<T>(page: Page, accept: (result: unknown) => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await resultText(page).catch(() => '');
    try {
      const accepted = accept(JSON.parse(last));
      if (accepted !== undefined) return accepted;
    } catch {
      // Not JSON yet: the pane is empty, or shows a result half drawn.
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; the result pane shows: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
