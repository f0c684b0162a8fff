// Shared pieces of the interface: toasts, error and empty states, loading
// placeholders, and async sections that show one of them until their data
// arrives.  Errors are always shown as sentences (the API envelope's
// message), never as raw JSON or a blank area.

import { h, replace } from './dom.js';
import { ApiError, post } from './api.js';

let toastRoot = null;

export function toast(message, kind = 'info', ms = 4500) {
	if (!toastRoot) {
		toastRoot = document.querySelector('.toasts');
		if (!toastRoot) {
			toastRoot = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
			document.body.appendChild(toastRoot);
		}
	}
	const el = h('div', { class: `toast ${kind}`, text: message });
	toastRoot.appendChild(el);
	setTimeout(() => el.remove(), ms);
	return el;
}

export function messageOf(err) {
	if (err instanceof ApiError) {
		return err.message;
	}
	if (err && typeof err.message === 'string' && err.message) {
		return err.message;
	}
	return 'Something went wrong. Please try again.';
}

export function alertBox(message, kind = 'error', actions = []) {
	return h('div', { class: `alert ${kind === 'error' ? '' : kind}`, role: kind === 'error' ? 'alert' : 'status' },
		h('div', { class: 'alert-body' },
			h('p', { text: message }),
			actions.length ? h('div', { class: 'alert-actions' }, actions) : null));
}

export function unavailableBox(what) {
	return h('div', { class: 'unavailable', 'data-unavailable': 'true' },
		h('strong', { text: `${what} isn't available yet` }),
		h('span', { text: 'This part of MuscleMap is not running on this server right now. Please check back soon.' }));
}

// An error state: a readable message, and a Retry button when it helps.
export function errorBox(err, retry, what = 'This') {
	if (err instanceof ApiError && err.unavailable) {
		return unavailableBox(what);
	}
	const actions = [];
	if (retry) {
		actions.push(h('button', { type: 'button', class: 'btn btn-sm btn-ghost', text: 'Try again', onclick: retry }));
	}
	return alertBox(messageOf(err), 'error', actions);
}

export function loading(label = 'Loading') {
	return h('div', { class: 'loading', role: 'status' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'sr-only', text: label }));
}

export function empty(text, action) {
	return h('div', { class: 'empty' }, h('p', { text }), action || null);
}

// Fills el with loading, then with render(data) or an error box.
// Returns a function that reloads.
export function asyncSection(el, load, render, what) {
	let gen = 0;
	const run = async () => {
		const mine = ++gen;
		replace(el, loading());
		try {
			const data = await load();
			if (mine !== gen || !el.isConnected && gen > 1) {
				return;
			}
			const out = render(data);
			replace(el, ...(Array.isArray(out) ? out : [out]));
		} catch (err) {
			if (mine !== gen) {
				return;
			}
			if (err && err.name === 'AbortError') {
				return;
			}
			replace(el, errorBox(err, run, what));
		}
	};
	run();
	return run;
}

export function card(title, ...children) {
	let action = null;
	if (children.length && children[0] && children[0].nodeType === undefined && children[0].action) {
		action = children.shift().action;
	}
	return h('section', { class: 'card' },
		title ? h('div', { class: 'card-head' }, h('h2', { text: title }), h('span', { class: 'spacer' }), action) : null,
		...children);
}

export function pageHead(title, subtitle, ...actions) {
	return h('div', { class: 'page-head' },
		h('div', null, h('h1', { text: title }), subtitle ? h('p', { text: subtitle }) : null),
		h('span', { class: 'spacer' }),
		...actions);
}

export function progressBar(percent, label) {
	const pct = Math.max(0, Math.min(100, Number(percent) || 0));
	const bar = h('span');
	bar.style.width = `${pct}%`;
	return h('div', {
		class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
		'aria-valuenow': String(Math.round(pct)), 'aria-label': label || 'Progress',
	}, bar);
}

// Disables a button while fn runs; shows the error next to it.
export async function busy(btn, fn) {
	const label = btn.textContent;
	btn.disabled = true;
	btn.setAttribute('aria-busy', 'true');
	try {
		return await fn();
	} finally {
		btn.disabled = false;
		btn.removeAttribute('aria-busy');
		if (btn.textContent !== label && btn.dataset.keepLabel !== '1') {
			btn.textContent = label;
		}
	}
}

// One tip (§10.1) as a card; marks it seen, and offers to dismiss it.
export function tipCard(tip) {
	const dismiss = h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Dismiss tip: ${tip.title}` }, icon('x'));
	const el = h('section', { class: 'card tip-card', 'data-tip': tip.id },
		h('div', { class: 'row' }, h('span', { class: 'chip accent', text: 'Tip' }), h('strong', { text: tip.title }), h('span', { class: 'spacer' }), dismiss),
		h('p', { class: 'muted', text: tip.content }));
	post(`/api/tips/${encodeURIComponent(tip.id)}/seen`).catch(() => {});
	dismiss.addEventListener('click', async () => {
		el.remove();
		try {
			await post(`/api/tips/${encodeURIComponent(tip.id)}/dismiss`);
		} catch (e) {
			toast(messageOf(e), 'error');
		}
	});
	return el;
}

export function stat(value, label) {
	return h('div', { class: 'stat' }, h('div', { class: 'value', text: value }), h('div', { class: 'label', text: label }));
}

export function icon(name) {
	const paths = ICONS[name] || ICONS.dot;
	const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
	svg.setAttribute('viewBox', '0 0 24 24');
	svg.setAttribute('fill', 'none');
	svg.setAttribute('stroke', 'currentColor');
	svg.setAttribute('stroke-width', '2');
	svg.setAttribute('stroke-linecap', 'round');
	svg.setAttribute('stroke-linejoin', 'round');
	svg.setAttribute('aria-hidden', 'true');
	for (const d of paths) {
		const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
		p.setAttribute('d', d);
		svg.appendChild(p);
	}
	return svg;
}

const ICONS = {
	home: ['M3 10.5 12 3l9 7.5', 'M5 9.5V21h14V9.5', 'M10 21v-6h4v6'],
	plus: ['M12 5v14', 'M5 12h14'],
	body: ['M12 2.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5z', 'M5 9.5l7 1.5 7-1.5', 'M12 11v5', 'M9 22l3-6 3 6'],
	users: ['M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M2 21v-1a6 6 0 0 1 12 0v1', 'M16 3.5a4 4 0 0 1 0 7.5', 'M22 21v-1a6 6 0 0 0-4-5.6'],
	menu: ['M4 6h16', 'M4 12h16', 'M4 18h16'],
	history: ['M3 12a9 9 0 1 0 3-6.7L3 8', 'M3 3v5h5', 'M12 7v5l3 3'],
	map: ['M12 2.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5z', 'M5 9.5l7 1.5 7-1.5', 'M12 11v5', 'M9 22l3-6 3 6'],
	trophy: ['M8 21h8', 'M12 17v4', 'M7 4h10v5a5 5 0 0 1-10 0V4z', 'M17 6h3v2a3 3 0 0 1-3 3', 'M7 6H4v2a3 3 0 0 0 3 3'],
	coin: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M14.5 9.5c-.5-1-1.5-1.5-2.5-1.5-1.7 0-3 .9-3 2s1.3 1.7 3 2 3 .9 3 2-1.3 2-3 2c-1 0-2-.5-2.5-1.5', 'M12 6.5v11'],
	chat: ['M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z'],
	target: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M12 17a5 5 0 1 0 0-10 5 5 0 0 0 0 10z', 'M12 13a1 1 0 1 0 0-2 1 1 0 0 0 0 2z'],
	spark: ['M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8L12 3z', 'M19 17l.8 2.2L22 20l-2.2.8L19 23l-.8-2.2L16 20l2.2-.8L19 17z'],
	settings: ['M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z', 'M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z'],
	route: ['M6 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4z', 'M18 9a2 2 0 1 0 0-4 2 2 0 0 0 0 4z', 'M6 15V9a4 4 0 0 1 4-4h6', 'M18 9v6a4 4 0 0 1-4 4H8'],
	logout: ['M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4', 'M16 17l5-5-5-5', 'M21 12H9'],
	trash: ['M3 6h18', 'M8 6V4h8v2', 'M19 6l-1 14H6L5 6'],
	hand: ['M7 11V5.5a1.5 1.5 0 0 1 3 0V11', 'M10 10V4.5a1.5 1.5 0 0 1 3 0V10', 'M13 10.5v-5a1.5 1.5 0 0 1 3 0V12', 'M16 8.5a1.5 1.5 0 0 1 3 0V15a7 7 0 0 1-7 7 7 7 0 0 1-6-3.4L3.5 14a1.6 1.6 0 0 1 2.6-1.8L7 13.5'],
	x: ['M18 6 6 18', 'M6 6l12 12'],
	send: ['M22 2 11 13', 'M22 2l-7 20-4-9-9-4 20-7z'],
	search: ['M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16z', 'M21 21l-4.3-4.3'],
	minus: ['M5 12h14'],
	back: ['M15 18l-6-6 6-6'],
	dot: ['M12 13a1 1 0 1 0 0-2 1 1 0 0 0 0 2z'],
};
