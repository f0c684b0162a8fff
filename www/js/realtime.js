// Live streams (contract §8): a WebSocket first, Server-Sent Events when
// the WebSocket cannot be opened, reconnecting with backoff.  Messages are
// {"type", "data"} JSON objects; unknown types are passed on and ignored by
// the listeners that do not know them.

import { freshToken } from './api.js';

// stream('community' | 'messaging', {onMessage, onStatus})
export function stream(kind, { onMessage, onStatus = () => {} }) {
	let closed = false;
	let ws = null;
	let es = null;
	let timer = null;
	let delay = 1000;
	let preferSse = sessionStorage.getItem(`mm.rt.${kind}`) === 'sse';

	const status = (s) => {
		try {
			onStatus(s);
		} catch {
			// A listener's failure must not stop the stream.
		}
	};
	const deliver = (raw) => {
		let msg;
		try {
			msg = JSON.parse(raw);
		} catch {
			return;
		}
		if (msg && typeof msg === 'object' && typeof msg.type === 'string') {
			onMessage(msg);
		}
	};
	const schedule = () => {
		if (closed) {
			return;
		}
		status('reconnecting');
		clearTimeout(timer);
		timer = setTimeout(connect, delay);
		delay = Math.min(delay * 2, 60000);
	};
	const openSse = (token) => {
		const q = token ? `?token=${encodeURIComponent(token)}` : '';
		es = new EventSource(`/api/${kind}/events${q}`);
		es.onopen = () => {
			delay = 1000;
			preferSse = true;
			sessionStorage.setItem(`mm.rt.${kind}`, 'sse');
			status('live');
		};
		es.onmessage = (e) => deliver(e.data);
		es.onerror = () => {
			es.close();
			es = null;
			preferSse = false;
			sessionStorage.removeItem(`mm.rt.${kind}`);
			schedule();
		};
	};
	const connect = async () => {
		if (closed) {
			return;
		}
		let token = null;
		try {
			token = await freshToken();
		} catch {
			token = null;
		}
		if (closed) {
			return;
		}
		status('connecting');
		if (preferSse || typeof WebSocket === 'undefined') {
			openSse(token);
			return;
		}
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		const q = token ? `?token=${encodeURIComponent(token)}` : '';
		let opened = false;
		try {
			ws = new WebSocket(`${proto}//${location.host}/api/${kind}/ws${q}`);
		} catch {
			openSse(token);
			return;
		}
		ws.onopen = () => {
			opened = true;
			delay = 1000;
			status('live');
		};
		ws.onmessage = (e) => deliver(typeof e.data === 'string' ? e.data : '');
		ws.onclose = () => {
			ws = null;
			if (closed) {
				return;
			}
			if (!opened) {
				openSse(token);
			} else {
				schedule();
			}
		};
		ws.onerror = () => {};
	};
	const online = () => {
		if (!ws && !es && !closed) {
			delay = 1000;
			clearTimeout(timer);
			connect();
		}
	};
	window.addEventListener('online', online);
	connect();
	return {
		close() {
			closed = true;
			clearTimeout(timer);
			window.removeEventListener('online', online);
			if (ws) {
				ws.close();
			}
			if (es) {
				es.close();
			}
			status('closed');
		},
	};
}
