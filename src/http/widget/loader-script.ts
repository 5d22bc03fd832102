/**
 * `/widget.js`, the snippet a website embeds:
 * `<script src="https://<server>/widget.js" data-session="<id>" data-key="pk_…" async></script>`.
 * It adds a chat button and, behind it, the widget page of this server in an iframe; the page
 * itself refuses to be framed by any origin the session does not allow. `data-open="true"`
 * opens it at once; `data-title` names the iframe for screen readers.
 */
export const WIDGET_LOADER_SCRIPT = String.raw`(() => {
  'use strict';
  const script = document.currentScript;
  if (!script || !script.dataset.session || !script.dataset.key) return;
  const origin = new URL(script.src).origin;
  const frame = document.createElement('iframe');
  frame.src = origin + '/widget/' + encodeURIComponent(script.dataset.session) + '?key=' + encodeURIComponent(script.dataset.key);
  frame.title = script.dataset.title || 'Chat with us';
  frame.allow = 'clipboard-write';
  frame.style.cssText =
    'position:fixed;right:20px;bottom:92px;width:360px;height:520px;max-width:calc(100vw - 40px);max-height:calc(100vh - 112px);' +
    'border:0;border-radius:14px;box-shadow:0 12px 40px rgba(16,24,40,.25);background:#fff;z-index:2147483646;display:none';
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Chat';
  button.setAttribute('aria-expanded', 'false');
  button.style.cssText =
    'position:fixed;right:20px;bottom:20px;height:56px;min-width:56px;padding:0 20px;border:0;border-radius:28px;' +
    'background:#3056d3;color:#fff;font:600 16px system-ui,sans-serif;box-shadow:0 6px 20px rgba(48,86,211,.4);cursor:pointer;z-index:2147483647';
  button.addEventListener('click', () => {
    const opening = frame.style.display === 'none';
    frame.style.display = opening ? 'block' : 'none';
    button.setAttribute('aria-expanded', String(opening));
  });
  const mount = () => {
    document.body.append(frame, button);
    if (script.dataset.open === 'true') button.click();
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();`;
