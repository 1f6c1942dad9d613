// The new-job form: the kind, the files (dropped or chosen), the request with the
// planner's examples as hints, a report's title and template.

import { json } from './api.js';
import { h, fill, size, announce } from './dom.js';

const examplesCache = new Map();

/** Wires the form; `submitted(job)` is called with each job the server accepted. */
export function setUpForm(submitted) {
  const form = document.getElementById('new-job');
  const input = document.getElementById('files');
  const drop = document.getElementById('drop');
  const chosen = document.getElementById('chosen');
  const error = document.getElementById('form-error');
  const prompt = document.getElementById('prompt');
  let files = [];

  const kind = () => form.elements.kind.value;
  const showFiles = () => {
    fill(chosen, files.map((f, i) => h('li', {},
      h('span', {}, f.name), h('span', { class: 'muted' }, ` ${size(f.size)}`),
      h('button', {
        type: 'button', class: 'link', 'aria-label': `Remove ${f.name}`,
        onclick: () => { files.splice(i, 1); showFiles(); },
      }, 'Remove'))));
  };
  const take = (list) => {
    const incoming = Array.from(list);
    files = kind() === 'report' ? files.concat(incoming) : incoming.slice(-1);
    if (kind() !== 'report' && incoming.length > 1) {
      showError(`An ${kind()} job works on one file; ${incoming[incoming.length - 1].name} was kept. Choose Report to use several.`);
    } else {
      error.hidden = true;
    }
    showFiles();
  };
  const showError = (text) => {
    error.hidden = false;
    error.textContent = text;
  };

  input.addEventListener('change', () => { take(input.files); input.value = ''; });
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const type of ['dragleave', 'drop']) {
    drop.addEventListener(type, () => drop.classList.remove('over'));
  }
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer?.files?.length) take(e.dataTransfer.files);
  });

  const kindChanged = () => {
    const report = kind() === 'report';
    input.multiple = report;
    document.getElementById('report-fields').hidden = !report;
    document.querySelector('.drop-title').textContent = report ? 'Drop files here, or choose them' : 'Drop a file here, or choose one';
    document.getElementById('files-hint').textContent = report
      ? 'data files (xlsx, csv, …) and notes (.md, .txt)'
      : 'xlsx, xlsm, xls, xlsb, ods, csv, tsv';
    if (!report && files.length > 1) files = files.slice(-1);
    showFiles();
    showExamples(kind(), prompt);
  };
  for (const radio of form.elements.kind) radio.addEventListener('change', kindChanged);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const k = kind();
    if (!files.length) {
      showError(k === 'report' ? 'Add at least one file.' : 'Add a file to work on.');
      input.focus();
      return;
    }
    if (k !== 'report' && !prompt.value.trim()) {
      showError('Write the request: what should be done with the file?');
      prompt.focus();
      return;
    }
    const body = new FormData();
    if (prompt.value.trim()) body.set('prompt', prompt.value);
    if (k === 'report') {
      for (const f of files) body.append('files[]', f);
      for (const name of ['title', 'template']) {
        const value = form.elements[name].value.trim();
        if (value) body.set(name, value);
      }
    } else {
      body.set('file', files[0]);
    }
    const button = document.getElementById('submit');
    button.disabled = true;
    button.textContent = 'Sending…';
    try {
      const job = await json(`/api/${k}/jobs`, { method: 'POST', body });
      announce('The job was submitted.');
      submitted(job);
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
      button.textContent = 'Run';
    }
  });

  kindChanged();
  return { refresh: () => { examplesCache.clear(); showExamples(kind(), prompt); } };
}

/** The kind's examples as buttons that fill the request. */
async function showExamples(kind, prompt) {
  const box = document.getElementById('examples');
  let examples = examplesCache.get(kind);
  if (!examples) {
    try {
      examples = (await json(`/api/${kind}/examples`)).examples;
      examplesCache.set(kind, examples);
    } catch {
      examples = [];
    }
  }
  prompt.placeholder = examples[0] || '';
  fill(box, examples.map((text) => h('button', {
    type: 'button', class: 'chip',
    onclick: () => { prompt.value = text; prompt.focus(); },
  }, text)));
}
