// A job's events, live: `GET .../events` with `Accept: text/event-stream`, read with
// fetch (EventSource cannot send the bearer key). A dropped connection is resumed with
// `Last-Event-ID`, so no event is lost or seen twice; the server ends the stream after
// the job's final status.

import { authHeaders, failure } from './api.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Calls `onEvent(type, data)` for each event of the job at `path` until its final
 * status (resolves with it) or until `signal` aborts (resolves with null).
 */
export async function follow(path, onEvent, signal) {
  let lastId = '';
  let final = null;
  let failures = 0;
  while (!final && !signal.aborted) {
    try {
      const headers = authHeaders({ Accept: 'text/event-stream' });
      if (lastId) headers.set('Last-Event-ID', lastId);
      const response = await fetch(path, { headers, signal });
      if (!response.ok) throw await failure(response);
      failures = 0;
      for await (const event of parse(response.body, signal)) {
        if (event.id) lastId = event.id;
        let data = null;
        try { data = JSON.parse(event.data); } catch { data = event.data; }
        if (event.type === 'error') throw new Error(data?.detail || 'the event stream failed');
        onEvent(event.type, data);
        if (event.type === 'status' && FINAL.has(data.status)) final = data.status;
      }
    } catch (error) {
      if (signal.aborted) return null;
      // 4xx will not get better by asking again.
      if (error.status && error.status < 500) throw error;
      failures += 1;
      if (failures > 5) throw error;
    }
    if (!final && !signal.aborted) await sleep(Math.min(500 * 2 ** failures, 5000));
  }
  return final;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The SSE events of a byte stream: `{id, type, data}` (comments and retry skipped). */
async function* parse(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { id: '', type: 'message', data: [] };
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        if (line === '') {
          if (event.data.length) yield { id: event.id, type: event.type, data: event.data.join('\n') };
          event = { id: '', type: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'id') event.id = text;
        else if (field === 'event') event.type = text;
        else if (field === 'data') event.data.push(text);
      }
    }
  } finally {
    reader.releaseLock();
  }
}
