// A small Python highlighter: one pass over the text with one regular expression,
// each token wrapped in a span of its class. Text is escaped as DOM text, never parsed.

import { h } from './dom.js';

const KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else ' +
  'except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case').split(' '));
const BUILTINS = new Set(('print len range list dict set tuple str int float bool open sorted min max sum abs ' +
  'enumerate zip map filter isinstance round any all type super object Exception ValueError KeyError').split(' '));

// Order matters: comments and strings first, so that `#` or keywords inside them stay theirs.
const TOKEN = new RegExp([
  '(#[^\\n]*)',                                                   // 1 comment
  '((?:[rRbBuUfF]{1,2})?(?:"""[\\s\\S]*?(?:"""|$)|\'\'\'[\\s\\S]*?(?:\'\'\'|$)|"(?:\\\\.|[^"\\\\\\n])*"?|\'(?:\\\\.|[^\'\\\\\\n])*\'?))', // 2 string
  '(@[A-Za-z_][\\w.]*)',                                          // 3 decorator
  '(\\b(?:0[xX][0-9a-fA-F_]+|\\d[\\d_]*\\.?[\\d_]*(?:[eE][+-]?\\d+)?j?)\\b)', // 4 number
  '([A-Za-z_]\\w*)',                                              // 5 name
].join('|'), 'g');

/** The tokens of `code` as `[class, text]` pairs (class '' for plain text). */
export function tokens(code) {
  const out = [];
  let last = 0;
  let previous = '';
  for (const m of code.matchAll(TOKEN)) {
    if (m.index > last) out.push(['', code.slice(last, m.index)]);
    let kind = '';
    if (m[1]) kind = 'comment';
    else if (m[2]) kind = 'string';
    else if (m[3]) kind = 'decorator';
    else if (m[4]) kind = 'number';
    else if (KEYWORDS.has(m[5])) kind = 'keyword';
    else if (previous === 'def' || previous === 'class') kind = 'function';
    else if (BUILTINS.has(m[5])) kind = 'builtin';
    out.push([kind, m[0]]);
    if (m[5]) previous = m[5];
    last = m.index + m[0].length;
  }
  if (last < code.length) out.push(['', code.slice(last)]);
  return out;
}

/** `code` as a highlighted `<pre><code>`. */
export function highlighted(code, label) {
  const parts = tokens(code).map(([kind, text]) => (kind ? h('span', { class: `tok-${kind}` }, text) : text));
  return h('pre', { class: 'code', tabindex: '0', 'aria-label': label }, h('code', { class: 'language-python' }, parts));
}
