// One job on the page: its stages live (SSE), then what it made: the answer, steps,
// change log, the output sheets, charts, the report, the code, every artifact with a
// download button, its thread, and a form for a follow-up.

import { json, request, blob, jobPath, artifactPath, ApiError } from './api.js';
import { h, fill, announce, size, when, badge } from './dom.js';
import { follow } from './sse.js';
import { highlighted } from './highlight.js';
import { sheetViewer } from './sheet.js';

const STAGES = ['profile', 'plan', 'validate', 'execute', 'collect'];
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const TABLE = /\.(xlsx|xlsm|xls|xlsb|ods|csv|tsv)$/i;

let current = null;

/** Shows job `id` of `kind` in the job section; `hooks.changed()` after it changes. */
export async function openJob(kind, id, hooks) {
  if (current) current.abort();
  const controller = new AbortController();
  current = controller;
  const section = document.getElementById('job');
  section.hidden = false;
  fill(section, h('p', { class: 'muted' }, 'Loading the job…'));
  let job;
  try {
    job = await json(jobPath(kind, id));
  } catch (error) {
    fill(section, h('h2', { id: 'job-title', tabindex: '-1' }, 'Job'), h('p', { class: 'error', role: 'alert' }, error.message));
    return;
  }
  if (controller.signal.aborted) return;
  const view = new JobView(section, job, hooks, controller.signal);
  view.render();
  section.querySelector('#job-title').focus({ preventScroll: true });
  section.scrollIntoView({ block: 'start', behavior: 'instant' });
  view.watch();
}

/** Stops following the shown job and hides it. */
export function closeJob() {
  if (current) current.abort();
  current = null;
  const section = document.getElementById('job');
  section.hidden = true;
  section.replaceChildren();
}

class JobView {
  constructor(section, job, hooks, signal) {
    this.section = section;
    this.job = job;
    this.hooks = hooks;
    this.signal = signal;
    this.stageItems = new Map();
  }

  render() {
    const job = this.job;
    this.badge = h('span', {}, badge(job.status));
    this.stagesList = h('ol', { class: 'stages', 'aria-label': 'Stages' }, STAGES.map((stage) => {
      const li = h('li', { 'data-stage': stage }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'stage-name' }, stage), h('span', { class: 'stage-state sr-only' }));
      this.stageItems.set(stage, li);
      return li;
    }));
    this.log = h('ul', { class: 'log', 'aria-label': 'Events' });
    this.cancelButton = h('button', { type: 'button', class: 'quiet', onclick: () => this.cancel() }, 'Cancel');
    this.deleteButton = h('button', { type: 'button', class: 'danger', onclick: () => this.delete() }, 'Delete');
    this.actionError = h('p', { class: 'error', role: 'alert', hidden: true });
    this.result = h('div', { class: 'result' });
    const parentNote = job.parent
      ? h('p', { class: 'muted' }, 'A follow-up of ', h('a', { href: `#job/${job.kind}/${job.parent}` }, 'the job before'), '.')
      : null;
    fill(this.section,
      h('div', { class: 'job-head' },
        h('h2', { id: 'job-title', tabindex: '-1' }, job.prompt || `${job.kind} job`),
        h('p', { class: 'meta' }, this.badge, ' ', h('span', { class: 'kind' }, job.kind), ' · ',
          h('span', {}, when(job.created_at)), ' · ', h('code', { class: 'id' }, job.id)),
        parentNote),
      this.stagesList,
      h('div', { class: 'actions job-actions' }, this.cancelButton, this.deleteButton),
      this.actionError,
      h('details', { class: 'events' }, h('summary', {}, 'Events'), this.log),
      this.result);
    this.showStage(job.stage, job.status);
  }

  /** Marks stages before `stage` done, `stage` active (or failed), the rest waiting. */
  showStage(stage, status) {
    const at = stage === 'done' ? STAGES.length : STAGES.indexOf(stage);
    STAGES.forEach((name, i) => {
      const li = this.stageItems.get(name);
      let state = 'waiting';
      if (i < at) state = 'done';
      else if (i === at) state = status === 'failed' ? 'failed' : status === 'cancelled' ? 'cancelled' : 'active';
      if (stage === 'done' && status === 'failed' && i === STAGES.length - 1) state = 'failed';
      li.dataset.state = state;
      li.querySelector('.stage-state').textContent = `: ${state}`;
      if (state === 'active') li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    this.cancelButton.hidden = FINAL.has(status);
  }

  async watch() {
    const job = this.job;
    try {
      const final = await follow(jobPath(job.kind, job.id, '/events'), (type, event) => this.onEvent(type, event), this.signal);
      if (final === null) return;
    } catch (error) {
      if (this.signal.aborted) return;
      this.log.append(h('li', { class: 'warn' }, `Live progress stopped: ${error.message}`));
    }
    if (this.signal.aborted) return;
    try {
      this.job = await json(jobPath(job.kind, job.id));
    } catch (error) {
      this.showActionError(error);
      return;
    }
    this.badge.replaceChildren(badge(this.job.status));
    this.showStage(this.job.stage, this.job.status);
    this.hooks.changed();
    if (FINAL.has(this.job.status)) {
      announce(`The job ${this.job.status}.`);
      await this.showResult();
    }
  }

  onEvent(type, event) {
    if (type === 'stage') {
      this.job.stage = event.stage;
      this.showStage(event.stage, this.job.status);
      this.log.append(h('li', {}, h('span', { class: 'muted' }, time(event.at)), ` stage ${event.stage}`));
    } else if (type === 'status') {
      this.job.status = event.status;
      this.badge.replaceChildren(badge(event.status));
      this.showStage(this.job.stage, event.status);
      this.log.append(h('li', {}, h('span', { class: 'muted' }, time(event.at)), ` ${event.status}`));
    } else if (type === 'log') {
      this.log.append(h('li', { class: event.level }, h('span', { class: 'muted' }, time(event.at)), ` ${event.message}`));
    }
  }

  async cancel() {
    try {
      await request(jobPath(this.job.kind, this.job.id, '/cancel'), { method: 'POST' });
      announce('Cancelling the job.');
    } catch (error) {
      this.showActionError(error);
    }
  }

  async delete() {
    const job = this.job;
    if (!window.confirm('Delete this job and everything it made?')) return;
    try {
      await request(jobPath(job.kind, job.id), { method: 'DELETE' });
    } catch (error) {
      // A job with follow-ups is kept unless they go too (409 names them).
      if (error.status === 409 && window.confirm(`${error.message}\n\nDelete its follow-ups as well?`)) {
        try {
          await request(jobPath(job.kind, job.id, '?cascade=true'), { method: 'DELETE' });
        } catch (again) {
          this.showActionError(again);
          return;
        }
      } else {
        this.showActionError(error);
        return;
      }
    }
    announce('The job was deleted.');
    closeJob();
    this.hooks.deleted();
  }

  showActionError(error) {
    this.actionError.hidden = false;
    this.actionError.textContent = error.message;
  }

  async showResult() {
    const job = this.job;
    const parts = [];
    if (job.status === 'failed' && job.error) {
      parts.push(h('div', { class: 'failure', role: 'alert' },
        h('h3', {}, 'The job failed'),
        h('p', { class: 'failure-message' }, job.error.message),
        suggestions(job.error.details?.suggestions),
        h('p', { class: 'muted' }, `Code: ${job.error.code}`)));
    } else if (job.status === 'cancelled') {
      parts.push(h('p', { class: 'muted' }, 'The job was cancelled.'));
    }
    if (job.thread) parts.push(this.threadSection());
    let summary = null;
    try {
      summary = await json(jobPath(job.kind, job.id, '/summary'));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) parts.push(h('p', { class: 'error' }, error.message));
    }
    if (summary) parts.push(...summarySections(summary));
    const workbooks = job.artifacts.filter((a) => TABLE.test(a.name));
    if (workbooks.length && job.status === 'succeeded') parts.push(this.sheetSection(workbooks));
    const charts = job.artifacts.filter((a) => a.kind === 'chart');
    if (charts.length) parts.push(this.chartSection(charts));
    if (job.artifacts.some((a) => a.name === 'report.html')) parts.push(this.reportSection());
    if (job.artifacts.some((a) => a.name === 'generated.py')) parts.push(this.codeSection());
    if (job.artifacts.length) parts.push(this.artifactSection());
    if (job.status === 'succeeded') parts.push(this.followUpSection());
    fill(this.result, parts);
  }

  sheetSection(workbooks) {
    const box = h('div', { class: 'sheet-box' });
    const pick = workbooks.length > 1
      ? h('div', { class: 'field inline' },
        h('label', { for: 'sheet-file' }, 'File'),
        h('select', {
          id: 'sheet-file',
          onchange: (e) => sheetViewer(box, this.job.kind, this.job.id, e.target.value),
        }, workbooks.map((a) => h('option', { value: a.name }, a.name))))
      : null;
    const first = workbooks.find((a) => a.kind === 'workbook') || workbooks[0];
    if (pick) pick.querySelector('select').value = first.name;
    sheetViewer(box, this.job.kind, this.job.id, first.name);
    return h('section', { class: 'part', 'aria-labelledby': 'sheet-title' }, h('h3', { id: 'sheet-title' }, 'Sheets'), pick, box);
  }

  chartSection(charts) {
    const figures = charts.map((a) => {
      const img = h('img', { alt: `Chart ${a.name}`, class: 'chart', loading: 'lazy' });
      blob(artifactPath(this.job.kind, this.job.id, a.name))
        .then((b) => { img.src = URL.createObjectURL(b); })
        .catch((e) => img.replaceWith(h('p', { class: 'error' }, e.message)));
      return h('figure', {}, img, h('figcaption', {}, a.name));
    });
    return h('section', { class: 'part', 'aria-labelledby': 'charts-title' }, h('h3', { id: 'charts-title' }, 'Charts'), h('div', { class: 'charts' }, figures));
  }

  reportSection() {
    // Shown in a sandboxed frame: its styles apply, no script runs, links stay inside.
    const frame = h('iframe', { class: 'report', title: 'The report', sandbox: '' });
    request(artifactPath(this.job.kind, this.job.id, 'report.html'))
      .then((r) => r.text())
      .then((html) => { frame.srcdoc = html; })
      .catch((e) => frame.replaceWith(h('p', { class: 'error' }, e.message)));
    return h('section', { class: 'part', 'aria-labelledby': 'report-title' }, h('h3', { id: 'report-title' }, 'Report'), frame);
  }

  codeSection() {
    const box = h('div', {}, h('p', { class: 'muted' }, 'Loading the code…'));
    json(jobPath(this.job.kind, this.job.id, '/code'))
      .then((c) => fill(box, c.generator ? h('p', { class: 'muted' }, `Written by ${c.generator}`) : null, highlighted(c.code, 'The generated program')))
      .catch((e) => fill(box, h('p', { class: 'error' }, e.message)));
    return h('details', { class: 'part code-part' }, h('summary', {}, h('h3', {}, 'Generated code')), box);
  }

  artifactSection() {
    const job = this.job;
    const rows = job.artifacts.map((a) => h('li', {},
      h('span', { class: 'artifact-name' }, a.name),
      h('span', { class: 'muted' }, `${a.kind}, ${size(a.size)}`),
      h('button', {
        type: 'button', class: 'quiet', 'aria-label': `Download ${a.name}`,
        onclick: () => download(artifactPath(job.kind, job.id, a.name), a.name.split('/').pop()),
      }, 'Download')));
    const main = job.kind === 'excel' && job.status === 'succeeded' && job.artifacts.some((a) => a.kind === 'workbook')
      ? h('button', {
        type: 'button', class: 'primary', id: 'download-result',
        onclick: () => download(jobPath(job.kind, job.id, '/download'), resultName(job)),
      }, 'Download the result workbook')
      : null;
    return h('section', { class: 'part', 'aria-labelledby': 'files-title' }, h('h3', { id: 'files-title' }, 'Files'), main, h('ul', { class: 'artifacts' }, rows));
  }

  threadSection() {
    const list = h('ol', { class: 'thread' }, h('li', { class: 'muted' }, 'Loading the thread…'));
    json(`/api/threads/${encodeURIComponent(this.job.thread)}`)
      .then((t) => fill(list, t.jobs.map((j) => h('li', {},
        j.id === this.job.id
          ? h('strong', { 'aria-current': 'page' }, j.prompt)
          : h('a', { href: `#job/${j.kind}/${j.id}` }, j.prompt),
        ' ', badge(j.status)))))
      .catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
    return h('section', { class: 'part', 'aria-labelledby': 'thread-title' }, h('h3', { id: 'thread-title' }, 'Thread'), list);
  }

  followUpSection() {
    const job = this.job;
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const prompt = h('textarea', { id: 'follow-prompt', name: 'prompt', rows: '2', required: true, placeholder: 'now sort it by the total, highest first' });
    const files = h('input', { id: 'follow-files', type: 'file', multiple: job.kind === 'report' });
    const form = h('form', {
      class: 'follow-up', novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        if (!prompt.value.trim()) {
          error.hidden = false;
          error.textContent = 'Write what to do next.';
          prompt.focus();
          return;
        }
        const body = new FormData();
        body.set('prompt', prompt.value);
        body.set('parent', job.id);
        for (const f of files.files) body.append(job.kind === 'report' ? 'files[]' : 'file', f);
        const button = form.querySelector('button[type=submit]');
        button.disabled = true;
        try {
          const child = await json(`/api/${job.kind}/jobs`, { method: 'POST', body });
          announce('The follow-up was submitted.');
          this.hooks.open(child.kind, child.id);
        } catch (err) {
          error.hidden = false;
          error.textContent = err.message;
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h3', {}, 'Ask a follow-up'),
    h('p', { class: 'muted' }, 'It works on what this job made.'),
    h('div', { class: 'field' }, h('label', { for: 'follow-prompt' }, 'Next request'), prompt),
    h('div', { class: 'field' }, h('label', { for: 'follow-files' }, 'More files (optional)'), files),
    error,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Ask')));
    return h('section', { class: 'part' }, form);
  }
}

/** The answer, steps and change log of summary.json, each when present. */
function summarySections(summary) {
  const out = [];
  const answer = summary.results?.answer;
  if (answer && Array.isArray(answer.rows) && answer.rows.length) out.push(answerSection(answer));
  const steps = summary.program_report?.steps || summary.steps;
  if (Array.isArray(steps) && steps.length) {
    out.push(h('section', { class: 'part', 'aria-labelledby': 'steps-title' }, h('h3', { id: 'steps-title' }, 'Steps'),
      h('ol', { class: 'steps' }, steps.map((s) => h('li', {}, typeof s === 'string' ? s : JSON.stringify(s))))));
  }
  if (Array.isArray(summary.changes)) {
    const changes = summary.changes.map((c) => h('li', {}, c.text || c.change));
    const lost = (summary.lost || []).map((l) => h('li', { class: 'warn' }, `lost: ${typeof l === 'string' ? l : JSON.stringify(l)}`));
    out.push(h('section', { class: 'part', 'aria-labelledby': 'changes-title' }, h('h3', { id: 'changes-title' }, 'Change log'),
      changes.length || lost.length ? h('ul', { class: 'changes' }, changes, lost) : h('p', { class: 'muted' }, 'Nothing in the workbook changed.')));
  }
  return out;
}

function answerSection(answer) {
  const rows = answer.rows.slice(0, 20);
  const keys = Object.keys(rows[0]);
  return h('section', { class: 'part', 'aria-labelledby': 'answer-title' }, h('h3', { id: 'answer-title' }, 'Answer'),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Answer' },
      h('table', { class: 'sheet answer' },
        h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col' }, k)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, keys.map((k) => h('td', { class: typeof r[k] === 'number' ? 'num' : null }, r[k] === null ? '' : String(r[k])))))))),
    answer.rows.length > rows.length ? h('p', { class: 'muted' }, `The first ${rows.length} of ${answer.rows.length} rows.`) : null);
}

/** The planner's suggestions after a request it could not plan, as buttons that put one
 *  into the new-job form. */
function suggestions(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return h('div', { class: 'examples' }, h('span', { class: 'muted' }, 'Requests that would work on this file:'),
    list.map((text) => h('button', {
      type: 'button', class: 'chip',
      onclick: () => {
        const prompt = document.getElementById('prompt');
        prompt.value = text;
        prompt.focus();
        prompt.scrollIntoView({ block: 'center' });
      },
    }, text)));
}

/** Saves what `path` answers as `name` (through fetch, so the key is sent). */
async function download(path, name) {
  try {
    const data = await blob(path);
    const url = URL.createObjectURL(data);
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    announce(error.message);
    window.alert(error.message);
  }
}

/** `sales_result.xlsx`, as the server names the download. */
function resultName(job) {
  const input = job.inputs[0]?.original_name || 'output';
  const stem = input.split(/[\\/]/).pop().replace(/\.[^.]*$/, '') || 'output';
  const out = job.artifacts.find((a) => a.kind === 'workbook')?.name || 'output.xlsx';
  return `${stem}_result.${out.split('.').pop()}`;
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}
