/**
 * The script of the hosted widget page, run in the visitor's browser: no dependency, no build
 * step. It keeps a random visitor id per session in localStorage, sends messages with
 * `visitorMessage`, and shows replies as `visitorReplies` streams them over SSE, falling back to
 * polling `visitorMessages` when the stream cannot be opened or breaks.
 */
export const WIDGET_PAGE_SCRIPT = String.raw`(() => {
  'use strict';
  const config = JSON.parse(document.getElementById('widget-config').textContent);
  const list = document.getElementById('messages');
  const form = document.getElementById('composer');
  const input = document.getElementById('text');
  const statusLine = document.getElementById('status');
  const FIELDS = 'id direction text status';
  const POLL_MS = 3000;
  const shown = new Set();
  let lastId = null;

  const randomId = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
  };
  const visitorId = (() => {
    const key = 'convo-widget:' + config.sessionId;
    try {
      const kept = localStorage.getItem(key);
      if (kept) return kept;
      const made = randomId();
      localStorage.setItem(key, made);
      return made;
    } catch {
      return randomId();
    }
  })();
  const access = { sessionId: config.sessionId, publishableKey: config.publishableKey, visitorId };

  const say = (text) => { statusLine.textContent = text; statusLine.hidden = !text; };
  const show = (message) => {
    if (shown.has(message.id)) return;
    shown.add(message.id);
    if (!lastId || message.id > lastId) lastId = message.id;
    const item = document.createElement('li');
    item.className = message.direction === 'INBOUND' ? 'mine' : 'theirs';
    item.textContent = message.text;
    list.append(item);
    list.scrollTop = list.scrollHeight;
  };

  const graphql = async (query, variables) => {
    const response = await fetch(config.graphqlPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
    return body.data;
  };
  const load = async () => {
    const data = await graphql(
      'query WidgetMessages($sessionId: ID!, $publishableKey: String!, $visitorId: String!, $after: String) {' +
        ' visitorMessages(sessionId: $sessionId, publishableKey: $publishableKey, visitorId: $visitorId, after: $after) { ' + FIELDS + ' } }',
      { ...access, after: lastId },
    );
    data.visitorMessages.forEach(show);
  };

  let polling = null;
  const poll = () => {
    if (polling) return;
    polling = setInterval(() => load().catch((error) => say(error.message)), POLL_MS);
  };

  const follow = async () => {
    const response = await fetch(config.graphqlPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query:
          'subscription WidgetReplies($sessionId: ID!, $publishableKey: String!, $visitorId: String!) {' +
          ' visitorReplies(sessionId: $sessionId, publishableKey: $publishableKey, visitorId: $visitorId) { ' + FIELDS + ' } }',
        variables: access,
      }),
    });
    if (!response.ok || !response.body) throw new Error('no stream');
    document.body.dataset.live = 'sse';
    // A reply stored while the stream was opening came before it: fetch it now.
    load().catch((error) => say(error.message));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
        if (!data) continue;
        const result = JSON.parse(data);
        if (result.data && result.data.visitorReplies) show(result.data.visitorReplies);
        if (result.errors) throw new Error(result.errors[0].message);
      }
    }
    throw new Error('the stream ended');
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    say('');
    try {
      const data = await graphql(
        'mutation WidgetSend($input: VisitorMessageInput!) { visitorMessage(input: $input) { message { ' + FIELDS + ' } replies { ' + FIELDS + ' } } }',
        { input: { ...access, text, clientMessageId: randomId() } },
      );
      show(data.visitorMessage.message);
      data.visitorMessage.replies.forEach(show);
    } catch (error) {
      input.value = text;
      say(error.message);
    }
  });

  (async () => {
    try {
      await load();
    } catch (error) {
      say(error.message);
    }
    try {
      await follow();
    } catch {
      // The stream could not open, or broke: polling carries on from the last message shown.
    }
    document.body.dataset.live = 'polling';
    poll();
  })();
})();`;
