/**
 * A small client for the ITN REST API: the session (access + refresh token), authorised
 * JSON requests, and errors in the API's format `{statusCode, code, message, details?, requestId}`.
 */

const SESSION_KEY = 'itn.dashboard.session';
/** Refresh this long before the access token expires (at most a quarter of its lifetime). */
const REFRESH_LEAD_MS = 60_000;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `The request failed (HTTP ${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code ?? 'REQUEST.ERROR';
    this.details = body?.details;
    this.requestId = body?.requestId;
  }
}

let session = readSession();
let refreshing = null;
const sessionEndListeners = new Set();

function readSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

function storeSession(pair) {
  session = pair && {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    lifetimeMs: pair.expiresIn * 1000,
    expiresAt: Date.now() + pair.expiresIn * 1000,
  };
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

function endSession(reason) {
  if (!session) return;
  storeSession(null);
  for (const listener of sessionEndListeners) listener(reason);
}

/** Called when the session ends without the user signing out (refresh refused). */
export function onSessionEnded(listener) {
  sessionEndListeners.add(listener);
}

export function hasSession() {
  return session !== null;
}

function expiresSoon() {
  const lead = Math.min(REFRESH_LEAD_MS, session.lifetimeMs / 4);
  return Date.now() >= session.expiresAt - lead;
}

/** One HTTP exchange; throws ApiError for anything but 2xx. */
async function send(method, path, { body, headers = {}, token } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { code: 'NETWORK.UNREACHABLE', message: 'The server cannot be reached' });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * Rotates the token pair. Refresh tokens are single-use and presenting a spent one revokes
 * the whole session, so concurrent callers share one rotation.
 */
function refresh() {
  refreshing ??= (async () => {
    try {
      storeSession(await send('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        endSession('Your session has ended; please sign in again.');
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire. */
export async function accessToken() {
  if (refreshing) await refreshing;
  if (!session) throw new ApiError(401, { code: 'AUTH.UNAUTHORIZED', message: 'Not signed in' });
  if (expiresSoon()) await refresh();
  return session.accessToken;
}

/** Forces a rotation unless another caller already replaced `staleToken`. */
export async function renewAccessToken(staleToken) {
  if (refreshing) await refreshing;
  if (!session) throw new ApiError(401, { code: 'AUTH.UNAUTHORIZED', message: 'Not signed in' });
  if (session.accessToken === staleToken) await refresh();
  return session.accessToken;
}

/** An authorised request; on 401 the token is renewed once and the request repeated. */
export async function request(method, path, { body, headers } = {}) {
  const token = await accessToken();
  try {
    return await send(method, path, { body, headers, token });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    const renewed = await renewAccessToken(token);
    return send(method, path, { body, headers, token: renewed });
  }
}

export const get = (path) => request('GET', path);
export const post = (path, body, headers) => request('POST', path, { body, headers });

/** Every item of a paginated list, following `nextCursor` (bounded, to stay responsive). */
export async function getAll(path, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const result = await get(cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

export async function signIn(email, password) {
  storeSession(await send('POST', '/api/auth/login', { body: { email, password } }));
}

export async function signOut() {
  if (!session) return;
  const { refreshToken } = session;
  try {
    await post('/api/auth/logout', { refreshToken });
  } catch {
    // The session is dropped locally either way.
  }
  storeSession(null);
}
