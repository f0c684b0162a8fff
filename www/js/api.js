// The one way the app talks to the API (contract: /work/shared/API.md).
//
// - The session (access token, refresh token, user) lives in localStorage so
//   a person stays signed in across visits and tabs.
// - An access token close to expiry is refreshed before the request; a 401
//   on an authenticated request triggers one refresh and one retry.
//   Refreshing rotates the refresh token (§2.3) and presenting an old one
//   revokes every session of the user, so only one refresh runs at a time
//   across tabs (Web Locks), and a tab that waited reuses what the other
//   tab obtained.
// - Every failure becomes an ApiError whose message is readable: the
//   envelope's message when there is one (§1.3), a sentence otherwise.

const SESSION_KEY = 'mm.session';
const REFRESH_MARGIN_S = 60;

export class ApiError extends Error {
	constructor(status, code, message, extra = {}) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		Object.assign(this, extra);
	}

	// The endpoint is not deployed on this server: nginx's own 404 for an
	// unknown path, or a 502/503/504 because its binary is absent or down.
	get unavailable() {
		return this.status === 502 || this.status === 503 || this.status === 504 ||
			(this.status === 404 && this.code === 'NOT_FOUND' && this.message === 'No such endpoint');
	}

	get network() {
		return this.code === 'NETWORK';
	}
}

// ------------------------------------------------------------ session

const listeners = new Set();

function decodeExp(token) {
	try {
		const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
		const json = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
		return typeof json.exp === 'number' ? json.exp : null;
	} catch {
		return null;
	}
}

export const session = {
	get() {
		try {
			const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
			return s && s.token ? s : null;
		} catch {
			return null;
		}
	},
	set(s) {
		const cur = this.get() || {};
		const next = { ...cur, ...s };
		if (s.token) {
			next.exp = decodeExp(s.token) || Math.floor(Date.now() / 1000) + (s.expiresIn || 3600);
		}
		localStorage.setItem(SESSION_KEY, JSON.stringify(next));
		for (const fn of listeners) {
			fn(next);
		}
		return next;
	},
	clear(reason) {
		localStorage.removeItem(SESSION_KEY);
		for (const fn of listeners) {
			fn(null, reason);
		}
	},
	onChange(fn) {
		listeners.add(fn);
		return () => listeners.delete(fn);
	},
	userId() {
		return this.get()?.user?.id || null;
	},
};

// Another tab signed in or out, or refreshed the tokens.
window.addEventListener('storage', (e) => {
	if (e.key === SESSION_KEY) {
		const s = session.get();
		for (const fn of listeners) {
			fn(s, s ? undefined : 'signed-out-elsewhere');
		}
	}
});

// ------------------------------------------------------------ requests

function readableStatus(status) {
	if (status === 0) {
		return 'Cannot reach MuscleMap. Check your connection and try again.';
	}
	if (status >= 500) {
		return 'MuscleMap is having trouble right now. Please try again in a moment.';
	}
	return `The server answered with an unexpected response (HTTP ${status}).`;
}

async function toError(res) {
	let body = null;
	try {
		body = await res.json();
	} catch {
		body = null;
	}
	const env = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
	const code = env && typeof env.code === 'string' ? env.code : `HTTP_${res.status}`;
	let message = env && typeof env.message === 'string' && env.message ? env.message : readableStatus(res.status);
	const retryAfter = Number(res.headers.get('Retry-After')) || null;
	if (code === 'RATE_LIMITED' && retryAfter) {
		message = `${message.replace(/\.?$/, '.')} Please wait ${retryAfter} s and try again.`;
	}
	return new ApiError(res.status, code, message, { retryAfter });
}

let refreshing = null;

async function doRefresh(staleToken) {
	const run = async () => {
		// Another tab (or request) may already have rotated the tokens.
		const cur = session.get();
		if (!cur) {
			throw new ApiError(401, 'UNAUTHORIZED', 'Please sign in again.');
		}
		if (cur.token !== staleToken && cur.exp - Date.now() / 1000 > REFRESH_MARGIN_S) {
			return cur;
		}
		if (!cur.refreshToken) {
			throw new ApiError(401, 'UNAUTHORIZED', 'Your session has ended. Please sign in again.');
		}
		let res;
		try {
			res = await fetch('/api/auth/refresh', {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ refreshToken: cur.refreshToken }),
			});
		} catch {
			throw new ApiError(0, 'NETWORK', readableStatus(0));
		}
		if (!res.ok) {
			throw await toError(res);
		}
		const data = await res.json();
		return session.set({ token: data.token, refreshToken: data.refreshToken, expiresIn: data.expiresIn });
	};
	if (!refreshing) {
		refreshing = (navigator.locks ? navigator.locks.request('mm-refresh', run) : run())
			.finally(() => { refreshing = null; });
	}
	try {
		return await refreshing;
	} catch (e) {
		// Concurrent requests share one refresh: sign out once.
		if ((e.status === 401 || e.status === 403) && session.get()) {
			session.clear(e.status === 403 ? 'forbidden' : 'expired');
		}
		throw e;
	}
}

// Refreshes the access token if it expires within the margin.
export async function freshToken() {
	const s = session.get();
	if (!s) {
		return null;
	}
	if (s.exp && s.exp - Date.now() / 1000 < REFRESH_MARGIN_S && s.refreshToken) {
		try {
			return (await doRefresh(s.token)).token;
		} catch (e) {
			if (e.network) {
				return s.token;
			}
			throw e;
		}
	}
	return s.token;
}

// api(method, path, {body, auth, signal})
//   auth: 'required' (default when signed in), 'optional', 'none'
export async function api(method, path, opts = {}) {
	const auth = opts.auth || 'required';
	const headers = { Accept: 'application/json', ...(opts.headers || {}) };
	let body;
	if (opts.body !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.body);
	}
	let token = null;
	if (auth !== 'none') {
		token = await freshToken();
		if (!token && auth === 'required') {
			throw new ApiError(401, 'UNAUTHORIZED', 'Please sign in to continue.');
		}
	}
	const send = async (tok) => {
		const h = { ...headers };
		if (tok) {
			h.Authorization = `Bearer ${tok}`;
		}
		try {
			return await fetch(path, { method, headers: h, body, signal: opts.signal, cache: 'no-store' });
		} catch (e) {
			if (e.name === 'AbortError') {
				throw e;
			}
			throw new ApiError(0, 'NETWORK', readableStatus(0));
		}
	};
	let res = await send(token);
	if (res.status === 401 && token) {
		const s = await doRefresh(token);
		res = await send(s.token);
	}
	if (res.status === 429 && method === 'GET' && !opts.noRetry) {
		const wait = Number(res.headers.get('Retry-After')) || 1;
		if (wait <= 3) {
			await new Promise((r) => setTimeout(r, wait * 1000));
			res = await send(session.get()?.token || token);
		}
	}
	if (!res.ok) {
		throw await toError(res);
	}
	if (res.status === 204) {
		return null;
	}
	const text = await res.text();
	if (!text) {
		return null;
	}
	try {
		return JSON.parse(text);
	} catch {
		throw new ApiError(res.status, 'BAD_RESPONSE', 'The server sent an answer the app could not read.');
	}
}

export const get = (path, opts) => api('GET', path, opts);
export const post = (path, body, opts = {}) => api('POST', path, { ...opts, body: body ?? {} });
export const put = (path, body, opts = {}) => api('PUT', path, { ...opts, body });
export const patch = (path, body, opts = {}) => api('PATCH', path, { ...opts, body });
export const del = (path, opts) => api('DELETE', path, opts);

// Sign-up, sign-in and sign-out.

function adopt(data) {
	return session.set({ token: data.token, refreshToken: data.refreshToken, expiresIn: data.expiresIn, user: data.user });
}

export async function register(fields) {
	return adopt(await api('POST', '/api/auth/register', { body: fields, auth: 'none' }));
}

export async function login(email, password) {
	return adopt(await api('POST', '/api/auth/login', { body: { email, password }, auth: 'none' }));
}

export async function logout() {
	const s = session.get();
	if (s?.refreshToken) {
		try {
			await api('POST', '/api/auth/logout', { body: { refreshToken: s.refreshToken }, auth: 'none' });
		} catch {
			// Signing out locally matters most; the token expires anyway.
		}
	}
	session.clear('signed-out');
}

export function newKey() {
	if (crypto.randomUUID) {
		return crypto.randomUUID();
	}
	const b = crypto.getRandomValues(new Uint8Array(16));
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
