// The API as the page uses it: the bearer key (kept in sessionStorage only, so it is
// gone when the tab closes), errors as the server's sentence (`{"detail": ...}`).

const KEY = 'office.apiKey';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** The headers every call sends: the key when one was given. */
export function authHeaders(extra = {}) {
  const headers = new Headers(extra);
  const key = apiKey.get();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  return headers;
}

/** FastAPI's `detail` in words: a sentence, a list of field errors, or a rejection. */
export function detailText(detail) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const field = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : '';
      return field ? `${field}: ${d.msg}` : d.msg;
    }).join('; ');
  }
  if (detail && typeof detail === 'object' && detail.message) {
    const lines = (detail.violations || []).map((v) => `line ${v.line}: ${v.message}`);
    return [detail.message, ...lines].join('\n');
  }
  return 'The server answered with an error.';
}

/** The error a failed response stands for; a 401 also asks for the key. */
export async function failure(response) {
  let message = `The server answered ${response.status} ${response.statusText}.`;
  try {
    const body = await response.json();
    if (body && 'detail' in body) message = detailText(body.detail);
  } catch {
    // Not JSON (a proxy's page): keep the status line.
  }
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent('office:auth', { detail: message }));
  }
  return new ApiError(response.status, message);
}

/** fetch() with the key; a failed call throws an ApiError with the server's words. */
export async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: authHeaders(options.headers) });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Is `office serve` still running?');
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** A JSON call. */
export async function json(path, options = {}) {
  const response = await request(path, options);
  return response.json();
}

/** Where a job's endpoints are. */
export function jobPath(kind, id, rest = '') {
  return `/api/${encodeURIComponent(kind)}/jobs/${encodeURIComponent(id)}${rest}`;
}

/** An artifact's path; names may hold `/` (`inputs/a.csv`), kept as separators. */
export function artifactPath(kind, id, name) {
  const encoded = name.split('/').map(encodeURIComponent).join('/');
  return jobPath(kind, id, `/artifacts/${encoded}`);
}

/** An artifact as a blob (charts and downloads go through fetch so the key is sent). */
export async function blob(path) {
  const response = await request(path);
  return response.blob();
}
