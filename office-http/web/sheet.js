// A sheet of a job's workbook as a table, a page of rows at a time, with the cells the
// job changed marked (`GET .../jobs/{id}/sheet`; the server reads the workbook).

import { json, jobPath } from './api.js';
import { h, fill, announce } from './dom.js';

const ROWS = 25;

/** A sheet viewer for the workbook `artifact` of job `id`, in `box`. */
export function sheetViewer(box, kind, id, artifact) {
  const state = { sheet: null, offset: 0 };
  const load = async () => {
    const query = new URLSearchParams({ artifact, offset: String(state.offset), limit: String(ROWS) });
    if (state.sheet) query.set('sheet', state.sheet);
    box.setAttribute('aria-busy', 'true');
    try {
      const page = await json(jobPath(kind, id, `/sheet?${query}`));
      state.sheet = page.sheet;
      render(page);
    } catch (error) {
      fill(box, h('p', { class: 'error', role: 'alert' }, error.message));
    } finally {
      box.removeAttribute('aria-busy');
    }
  };

  const render = (page) => {
    const tabs = page.sheets.length > 1
      ? h('div', { class: 'tabs sheet-tabs', role: 'group', 'aria-label': 'Sheets' },
        page.sheets.map((name) => h('button', {
          type: 'button',
          'aria-pressed': String(name === page.sheet),
          onclick: () => { state.sheet = name; state.offset = 0; load(); },
        }, name)))
      : null;
    const changedCount = page.rows.reduce((n, r) => n + r.changed.length, 0);
    const caption = h('caption', {},
      `${page.sheet}`,
      page.new_sheet ? h('span', { class: 'tag' }, 'new sheet') : null,
      changedCount && !page.new_sheet ? h('span', { class: 'tag changed-tag' }, `${changedCount} changed cells on this page`) : null);
    const head = h('thead', {}, h('tr', {},
      h('th', { scope: 'col', class: 'corner' }, h('span', { class: 'sr-only' }, 'Row')),
      page.columns.map((c) => h('th', { scope: 'col' }, c))));
    const body = h('tbody', {}, page.rows.map((row) => {
      const changed = new Set(row.changed);
      return h('tr', {},
        h('th', { scope: 'row' }, String(row.row)),
        row.cells.map((cell, i) => cellElement(cell, changed.has(i))));
    }));
    const first = page.rows.length ? page.offset + 1 : 0;
    const last = page.offset + page.rows.length;
    const more = page.hidden_columns ? `, ${page.hidden_columns} more columns not shown` : '';
    const pager = h('div', { class: 'pager' },
      h('button', {
        type: 'button', class: 'quiet', disabled: page.offset === 0,
        onclick: () => { state.offset = Math.max(0, state.offset - ROWS); load().then(() => announce(`Rows from ${state.offset + 1}`)); },
      }, 'Previous rows'),
      h('span', { class: 'muted' }, `Rows ${first}–${last} of ${page.total_rows}${more}`),
      h('button', {
        type: 'button', class: 'quiet', disabled: last >= page.total_rows,
        onclick: () => { state.offset += ROWS; load().then(() => announce(`Rows from ${state.offset + 1}`)); },
      }, 'Next rows'));
    fill(box, tabs,
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': `Sheet ${page.sheet}` },
        h('table', { class: 'sheet' }, caption, head, body)),
      pager,
      changedCount ? h('p', { class: 'muted legend' }, h('span', { class: 'swatch' }), ' a cell the job changed') : null);
  };

  load();
}

function cellElement(value, changed) {
  const numeric = typeof value === 'number';
  const text = value === null ? '' : typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : String(value);
  return h('td', { class: [numeric ? 'num' : '', changed ? 'changed' : ''].join(' ').trim() || null },
    changed ? h('span', { class: 'sr-only' }, 'changed: ') : null, text);
}
