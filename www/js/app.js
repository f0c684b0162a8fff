// MuscleMap web app: the shell (navigation, top bar, toasts), the router,
// and the start-up work (service worker, theme, session, offline queue,
// message badge).  Each screen is a module in views/ loaded on demand.

import { h, replace, clear } from './dom.js';
import { session, get, ApiError } from './api.js';
import { icon, toast, errorBox, loading } from './ui.js';
import { applyTheme, loadSettings } from './prefs.js';
import * as outbox from './outbox.js';
import { stream } from './realtime.js';
import { brandMark } from './brand.js';

const ROUTES = [
	{ path: '/welcome', view: 'welcome', public: true, bare: true },
	{ path: '/', view: 'today', nav: 'today', title: 'Today' },
	{ path: '/log', view: 'log', nav: 'log', title: 'Log workout' },
	{ path: '/map', view: 'map', nav: 'map', title: 'Muscle map' },
	{ path: '/history', view: 'history', nav: 'history', title: 'History' },
	{ path: '/history/:id', view: 'workout', nav: 'history', title: 'Workout' },
	{ path: '/journey', view: 'journey', nav: 'journey', title: 'Journey' },
	{ path: '/coach', view: 'coach', nav: 'coach', title: 'Coach' },
	{ path: '/community', view: 'community', nav: 'community', title: 'Community' },
	{ path: '/messages', view: 'messages', nav: 'messages', title: 'Messages' },
	{ path: '/messages/:id', view: 'conversation', nav: 'messages', title: 'Conversation' },
	{ path: '/goals', view: 'goals', nav: 'goals', title: 'Goals' },
	{ path: '/credits', view: 'credits', nav: 'credits', title: 'Credits' },
	{ path: '/settings', view: 'settings', nav: 'settings', title: 'Settings' },
	{ path: '/more', view: 'more', nav: 'more', title: 'More' },
];

const NAV = [
	{ id: 'today', href: '/', label: 'Today', icon: 'home' },
	{ id: 'log', href: '/log', label: 'Log workout', short: 'Log', icon: 'plus' },
	{ id: 'map', href: '/map', label: 'Muscle map', short: 'Map', icon: 'body' },
	{ id: 'history', href: '/history', label: 'History', icon: 'history' },
	{ id: 'journey', href: '/journey', label: 'Journey', icon: 'route' },
	{ id: 'coach', href: '/coach', label: 'Coach', icon: 'spark' },
	{ id: 'community', href: '/community', label: 'Community', short: 'Social', icon: 'users' },
	{ id: 'messages', href: '/messages', label: 'Messages', icon: 'chat' },
	{ id: 'goals', href: '/goals', label: 'Goals', icon: 'target' },
	{ id: 'credits', href: '/credits', label: 'Credits', icon: 'coin' },
	{ id: 'settings', href: '/settings', label: 'Settings', icon: 'settings' },
];
const TABS = ['today', 'log', 'map', 'community', 'more'];

export const app = {
	route: null,
	params: {},
	state: null,
	cleanup: null,
	unread: 0,
	messagingListeners: new Set(),
};

// ------------------------------------------------------------ routing

function match(path) {
	for (const r of ROUTES) {
		const names = [];
		const re = new RegExp('^' + r.path.replace(/:(\w+)/g, (_, n) => {
			names.push(n);
			return '([^/]+)';
		}) + '/?$');
		const m = path.match(re);
		if (m) {
			const params = {};
			names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
			return { route: r, params };
		}
	}
	return null;
}

export function navigate(to, { replace: rep = false, state = null } = {}) {
	if (rep) {
		history.replaceState(state, '', to);
	} else {
		history.pushState(state, '', to);
	}
	render();
}

document.addEventListener('click', (e) => {
	const a = e.target.closest && e.target.closest('a[href]');
	if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) {
		return;
	}
	const url = new URL(a.href, location.href);
	if (url.origin !== location.origin || url.pathname.startsWith('/api/')) {
		return;
	}
	e.preventDefault();
	navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render());

// ------------------------------------------------------------ shell

let shell = null;

function navLink(item, cls, short) {
	const a = h('a', { href: item.href, class: cls, 'data-nav': item.id },
		cls === 'tab' && item.id === 'log' ? h('span', { class: 'tab-ico' }, icon(item.icon)) : icon(item.icon),
		h('span', { text: short ? (item.short || item.label) : item.label }));
	if (item.id === 'messages' || item.id === 'more') {
		a.appendChild(h('span', { class: 'badge hidden', 'data-badge': 'messages', 'aria-label': 'unread messages' }));
	}
	return a;
}

function buildShell() {
	const side = h('nav', { class: 'sidenav', 'aria-label': 'Main' },
		h('a', { href: '/', class: 'brand' }, brandMark(), h('span', { class: 'brand-name' }, 'Muscle', h('span', { text: 'Map' }))),
		NAV.map((n) => navLink(n, 'nav-item', false)),
		h('div', { class: 'nav-foot' }));
	const more = { id: 'more', href: '/more', label: 'More', icon: 'menu' };
	const tabs = h('nav', { class: 'tabbar', 'aria-label': 'Main' },
		TABS.map((id) => navLink(id === 'more' ? more : NAV.find((n) => n.id === id), id === 'log' ? 'tab tab-log' : 'tab', true)));
	const credits = h('a', { href: '/credits', class: 'pill', 'data-credits': '', 'aria-label': 'Credits' }, h('span', { class: 'dot' }), h('span', { text: '…' }));
	const offline = h('span', { class: 'pill offline hidden', 'data-offline': '', role: 'status' }, h('span', { class: 'dot' }), h('span', { text: 'Offline' }));
	const top = h('header', { class: 'topbar' },
		h('a', { href: '/', class: 'brand' }, brandMark(), h('span', { class: 'brand-name' }, 'Muscle', h('span', { text: 'Map' }))),
		h('span', { class: 'spacer' }),
		offline, credits,
		h('a', { href: '/settings', class: 'btn btn-ghost btn-icon', 'aria-label': 'Settings' }, icon('settings')));
	const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
	const root = h('div', { class: 'app' }, side, h('div', { class: 'content' }, top, main), tabs);
	return { root, main, credits, offline };
}

function mountShell() {
	const body = document.getElementById('app');
	if (!shell) {
		shell = buildShell();
	}
	if (shell.root.parentNode !== body) {
		replace(body, shell.root);
		refreshCredits();
		refreshUnread().then(startMessaging);
	}
	updateOffline();
	return shell.main;
}

function setActiveNav(id) {
	for (const a of document.querySelectorAll('[data-nav]')) {
		const on = a.dataset.nav === id || (id !== 'more' && a.dataset.nav === 'more' && !TABS.includes(id));
		if (on) {
			a.setAttribute('aria-current', 'page');
		} else {
			a.removeAttribute('aria-current');
		}
	}
}

// ------------------------------------------------------------ credits pill

export async function refreshCredits() {
	if (!shell || !session.get()) {
		return;
	}
	const pill = shell.credits;
	try {
		const b = await get('/api/economy/balance');
		pill.classList.toggle('unlimited', Boolean(b.unlimited));
		pill.lastChild.textContent = b.unlimited
			? (b.unlimitedReason === 'subscription' ? 'Unlimited' : 'Trial · unlimited')
			: `${b.balance} credits`;
		pill.dataset.balance = String(b.balance);
	} catch (e) {
		if (!(e instanceof ApiError) || !e.network) {
			pill.lastChild.textContent = 'Credits';
		}
	}
}
window.addEventListener('mm-credits', refreshCredits);

// ------------------------------------------------------------ messages badge

export function setUnread(n) {
	app.unread = n;
	for (const b of document.querySelectorAll('[data-badge="messages"]')) {
		b.textContent = n > 99 ? '99+' : String(n);
		b.classList.toggle('hidden', !n);
	}
}

export async function refreshUnread() {
	if (!session.get()) {
		return;
	}
	try {
		const r = await get('/api/messaging/conversations');
		setUnread(r.conversations.reduce((a, c) => a + (c.unreadCount || 0), 0));
		app.messagingAvailable = true;
	} catch (e) {
		app.messagingAvailable = !(e instanceof ApiError && e.unavailable);
	}
}
window.addEventListener('mm-unread', refreshUnread);

let msgStream = null;

async function startMessaging() {
	if (msgStream || !session.get()) {
		return;
	}
	// Only connect where the messaging service answers.
	if (app.messagingAvailable === false || msgStream) {
		return;
	}
	msgStream = stream('messaging', {
		onStatus(st) {
			document.documentElement.dataset.messaging = st;
		},
		onMessage(msg) {
			for (const fn of app.messagingListeners) {
				fn(msg);
			}
			if (msg.type === 'message' && msg.data?.message?.senderId !== session.userId() &&
				!(app.route?.view === 'conversation' && app.params.id === msg.data.conversationId)) {
				setUnread(app.unread + 1);
			}
		},
	});
}

function stopMessaging() {
	if (msgStream) {
		msgStream.close();
		msgStream = null;
	}
}

// ------------------------------------------------------------ offline

function updateOffline() {
	if (!shell) {
		return;
	}
	const n = outbox.pending().length;
	const off = !navigator.onLine;
	shell.offline.classList.toggle('hidden', !off && n === 0);
	shell.offline.lastChild.textContent = off
		? (n ? `Offline · ${n} queued` : 'Offline')
		: `Syncing ${n}…`;
}

async function syncOutbox() {
	updateOffline();
	if (!navigator.onLine || !session.get() || outbox.pending().length === 0) {
		return;
	}
	const r = await outbox.flush();
	for (const w of r.sent) {
		toast(`Offline workout synced: ${w.totalTu} TU`, 'ok');
	}
	for (const f of r.failed) {
		toast(`A queued workout could not be saved: ${f.error.message}`, 'error', 8000);
	}
	if (r.sent.length || r.failed.length) {
		window.dispatchEvent(new CustomEvent('mm-workouts'));
		refreshCredits();
	}
	updateOffline();
}

window.addEventListener('online', () => {
	toast('Back online', 'ok', 2500);
	syncOutbox();
});
window.addEventListener('offline', () => {
	toast('You are offline. Workouts you log are saved and sent when you reconnect.', 'info', 5000);
	updateOffline();
});
window.addEventListener('mm-outbox', updateOffline);
setInterval(() => {
	if (navigator.onLine && outbox.pending().length) {
		syncOutbox();
	}
}, 30000);

// ------------------------------------------------------------ render

async function render() {
	const path = location.pathname;
	const found = match(path) || { route: null, params: {} };
	if (app.cleanup) {
		try {
			app.cleanup();
		} catch {
			// Ignore: the old view is going away.
		}
		app.cleanup = null;
	}
	const signedIn = Boolean(session.get());
	if (found.route && !found.route.public && !signedIn) {
		const next = path === '/' ? '' : `?next=${encodeURIComponent(path + location.search)}`;
		history.replaceState(null, '', `/welcome${next}`);
		return render();
	}
	if (found.route?.view === 'welcome' && signedIn) {
		history.replaceState(null, '', '/');
		return render();
	}
	app.route = found.route;
	app.params = found.params;
	app.state = history.state;
	let root;
	if (found.route?.bare) {
		shell = null;
		stopMessaging();
		root = clear(document.getElementById('app'));
	} else {
		root = mountShell();
		setActiveNav(found.route?.nav);
		clear(root).appendChild(loading());
	}
	document.title = found.route?.title ? `${found.route.title} · MuscleMap` : 'MuscleMap';
	if (!found.route) {
		replace(root, h('div', { class: 'card center' },
			h('h1', { text: 'Page not found' }),
			h('p', { class: 'muted', text: 'There is nothing at this address.' }),
			h('a', { href: '/', class: 'btn btn-primary', text: 'Go to Today' })));
		return;
	}
	const token = Symbol('render');
	app.renderToken = token;
	try {
		const mod = await import(`./views/${found.route.view}.js`);
		if (app.renderToken !== token) {
			return;
		}
		clear(root);
		const cleanup = await mod.default(root, found.params, { navigate, state: history.state });
		if (app.renderToken === token) {
			app.cleanup = typeof cleanup === 'function' ? cleanup : null;
		} else if (typeof cleanup === 'function') {
			cleanup();
		}
	} catch (err) {
		if (app.renderToken === token) {
			replace(root, errorBox(err, () => render(), 'This screen'));
		}
	}
	// After a navigation, focus moves to the new content (screen readers
	// announce it); on the first page load it stays at the top, so the
	// skip link is the first Tab stop.
	if (!found.route.bare && app.rendered && document.activeElement === document.body) {
		root.focus({ preventScroll: true });
	}
	app.rendered = true;
	window.scrollTo(0, 0);
}

// ------------------------------------------------------------ start

session.onChange((s, reason) => {
	if (!s) {
		stopMessaging();
		if (reason === 'expired' || reason === 'forbidden') {
			toast(reason === 'forbidden' ? 'Your account cannot be used right now.' : 'Your session has ended. Please sign in again.', 'error', 6000);
		}
		if (reason === 'signed-out') {
			// Signing out leads to the sign-in page, not back to where
			// the person was.
			history.replaceState(null, '', '/welcome');
			render();
		} else if (app.route && !app.route.public) {
			render();
		}
	}
});

applyTheme();
if ('serviceWorker' in navigator) {
	navigator.serviceWorker.register('/sw.js').catch(() => {});
}
render();
if (session.get()) {
	loadSettings().catch(() => {});
	syncOutbox();
}

export function signedIn() {
	loadSettings().catch(() => {});
	syncOutbox();
}
