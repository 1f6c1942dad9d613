// Past jobs, a page at a time (`GET /api/<kind>/jobs?limit=&cursor=`, newest first);
// follow-ups are marked, and each opens its job (and its thread).

import { json } from './api.js';
import { h, fill, when, badge } from './dom.js';

// Jobs a page shows; `?history=N` on the page's address asks for another size.
const PAGE = Math.min(100, Math.max(1, Number(new URLSearchParams(window.location.search).get('history')) || 20));

export function setUpHistory(open) {
  const list = document.getElementById('history');
  const more = document.getElementById('history-more');
  const empty = document.getElementById('history-empty');
  const error = document.getElementById('history-error');
  const tabs = Array.from(document.querySelectorAll('.history .tabs button'));
  let kind = 'excel';
  let next = null;

  const item = (job) => h('li', {},
    h('a', { href: `#job/${job.kind}/${job.id}`, class: 'history-item', onclick: (e) => { e.preventDefault(); open(job.kind, job.id); } },
      h('span', { class: 'history-prompt' }, job.prompt || '(no request)'),
      h('span', { class: 'history-meta' }, badge(job.status), ' ',
        job.parent ? h('span', { class: 'tag' }, 'follow-up') : null, ' ',
        h('span', { class: 'muted' }, when(job.created_at)))));

  const load = async (reset) => {
    error.hidden = true;
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (!reset && next) query.set('cursor', next);
    try {
      const page = await json(`/api/${kind}/jobs?${query}`);
      if (reset) list.replaceChildren();
      list.append(...page.jobs.map(item));
      next = page.next;
      more.hidden = !next;
      empty.hidden = list.children.length > 0;
    } catch (err) {
      if (reset) fill(list);
      error.hidden = false;
      error.textContent = err.status === 401
        ? 'This server needs an API key to show its jobs (the API key button, at the top).'
        : err.message;
    }
  };

  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      kind = tab.dataset.kind;
      for (const t of tabs) t.setAttribute('aria-pressed', String(t === tab));
      next = null;
      load(true);
    });
  }
  more.addEventListener('click', () => load(false));
  load(true);

  return {
    /** Shows `k`'s list (after a job of that kind changed) from its newest job. */
    refresh(k = kind) {
      if (k !== kind) {
        const tab = tabs.find((t) => t.dataset.kind === k);
        if (tab) { tab.click(); return; }
      }
      next = null;
      load(true);
    },
  };
}
