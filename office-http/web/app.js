// The page: the new-job form, the job shown (from the address, `#job/<kind>/<id>`), the
// history, and the API key dialog (when the server answers 401).
//
// Plain JavaScript modules, served from the binary as they are written: no build step.

import { apiKey } from './api.js';
import { setUpForm } from './form.js';
import { setUpHistory } from './history.js';
import { openJob, closeJob } from './job.js';

const KINDS = new Set(['excel', 'analytics', 'report']);

function start() {
  const history = setUpHistory((kind, id) => go(kind, id));
  const hooks = {
    changed: () => history.refresh(),
    deleted: () => { history.refresh(); window.history.replaceState(null, '', '#'); },
    open: (kind, id) => go(kind, id),
  };
  const form = setUpForm((job) => go(job.kind, job.id));

  function go(kind, id) {
    const hash = `#job/${kind}/${id}`;
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  }

  function route() {
    const m = /^#job\/([a-z]+)\/([0-9a-fA-F-]{36})$/.exec(window.location.hash);
    if (m && KINDS.has(m[1])) {
      history.refresh(m[1]);
      openJob(m[1], m[2], hooks);
    } else {
      closeJob();
    }
  }
  window.addEventListener('hashchange', route);
  route();

  setUpKey(() => {
    form.refresh();
    history.refresh();
    route();
  });
}

function setUpKey(again) {
  const dialog = document.getElementById('key-dialog');
  const button = document.getElementById('key-button');
  const input = document.getElementById('key');
  let open = false;
  const ask = () => {
    if (open) return;
    open = true;
    input.value = '';
    dialog.showModal();
  };
  window.addEventListener('office:auth', () => {
    button.hidden = false;
    ask();
  });
  button.addEventListener('click', ask);
  dialog.addEventListener('close', () => {
    open = false;
    if (dialog.returnValue === 'save' && input.value.trim()) {
      apiKey.set(input.value.trim());
      again();
    }
  });
  if (apiKey.get()) button.hidden = false;
}

start();
