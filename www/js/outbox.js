// Workouts logged without a connection wait here (localStorage) and are
// sent when the browser is back online.  Each carries the idempotency key
// it was created with (§4.2), so a workout whose first attempt did reach
// the server is answered with the original and never stored or charged
// twice, however often it is replayed.

import { post, session, ApiError } from './api.js';

const KEY = 'mm.outbox';
const FAILED_KEY = 'mm.outbox.failed';

function read(key) {
	try {
		const v = JSON.parse(localStorage.getItem(key) || '[]');
		return Array.isArray(v) ? v : [];
	} catch {
		return [];
	}
}

function write(key, items) {
	localStorage.setItem(key, JSON.stringify(items));
	window.dispatchEvent(new CustomEvent('mm-outbox'));
}

export function enqueue(body) {
	const userId = session.userId();
	const items = read(KEY);
	if (!items.some((i) => i.body.idempotencyKey === body.idempotencyKey)) {
		items.push({ userId, body, queuedAt: new Date().toISOString() });
		write(KEY, items);
	}
}

export function pending() {
	const uid = session.userId();
	return read(KEY).filter((i) => i.userId === uid);
}

export function failed() {
	const uid = session.userId();
	return read(FAILED_KEY).filter((i) => i.userId === uid);
}

export function dismissFailed(key) {
	write(FAILED_KEY, read(FAILED_KEY).filter((i) => i.body.idempotencyKey !== key));
}

function remove(key) {
	write(KEY, read(KEY).filter((i) => i.body.idempotencyKey !== key));
}

let flushing = null;

// Sends every queued workout of the signed-in user, oldest first.  Stops at
// the first network or server failure (the rest waits for the next try).
// Resolves to {sent: [workout], failed: [{item, error}]}.
export function flush() {
	if (flushing) {
		return flushing;
	}
	const run = async () => {
		const result = { sent: [], failed: [] };
		if (!navigator.onLine || !session.get()) {
			return result;
		}
		for (const item of pending()) {
			try {
				const w = await post('/api/workouts', item.body);
				remove(item.body.idempotencyKey);
				result.sent.push(w);
			} catch (e) {
				const transient = !(e instanceof ApiError) || e.network || e.status >= 500 ||
					e.status === 429 || e.status === 401;
				if (transient) {
					break;
				}
				// The server refused it for good (no credits left, a
				// validation error): keep it visible, stop retrying.
				remove(item.body.idempotencyKey);
				const bad = read(FAILED_KEY);
				bad.push({ ...item, error: e.message, code: e.code });
				write(FAILED_KEY, bad);
				result.failed.push({ item, error: e });
			}
		}
		return result;
	};
	flushing = (navigator.locks ? navigator.locks.request('mm-outbox', run) : run())
		.finally(() => { flushing = null; });
	return flushing;
}
