// The API client: JSON over fetch, the bearer token, and problem+json errors as ApiError.

const TOKEN_KEY = 'cuvee.token';
const listeners = new Set();

/** An HTTP error answered by the API, with its problem+json fields. */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `request failed (${status})`);
    this.status = status;
    this.code = problem.code || null;
    this.problem = problem;
  }

  /** The route itself does not exist on this server (not "this object does not exist"). */
  get routeMissing() {
    return (this.status === 404 && this.code === 'not_found') || this.status === 405;
  }
}

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function signedIn() {
  return Boolean(token());
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
  for (const listener of listeners) listener(Boolean(value));
}

/** Call `listener(signedIn)` whenever the user signs in or out (also when a token expires). */
export function onAuthChange(listener) {
  listeners.add(listener);
}

function url(path, query) {
  const u = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => u.searchParams.append(key, v));
    else u.searchParams.set(key, value);
  }
  return u;
}

/**
 * Call the API. Returns the parsed JSON body (null for 204). Throws ApiError for 4xx/5xx and
 * TypeError when the network fails (the caller may retry).
 */
export async function api(method, path, { body, query, headers = {}, signal } = {}) {
  const init = { method, signal, headers: { Accept: 'application/json', ...headers } };
  const bearer = token();
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401 && bearer) setToken(null);
    throw new ApiError(response.status, typeof data === 'object' ? data : { detail: data });
  }
  return data;
}

export const get = (path, options) => api('GET', path, options);

/** GET that answers null when the route does not exist yet (a feature this server lacks). */
export async function getOptional(path, options) {
  try {
    return await api('GET', path, options);
  } catch (error) {
    if (error instanceof ApiError && error.routeMissing) return null;
    throw error;
  }
}

/** A readable message for any error a call may throw. */
export function describe(error) {
  if (error instanceof ApiError) return error.message;
  if (error && error.name === 'AbortError') return 'cancelled';
  return 'The shop cannot be reached right now. Check your connection and try again.';
}
