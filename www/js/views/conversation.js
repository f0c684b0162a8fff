// One conversation (contract §9.3–§9.7): messages with live arrivals,
// sending, deleting one's own messages, blocking the other person.

import { h, add, replace, fmtDateTime, uid } from '../dom.js';
import { get, post, del, session } from '../api.js';
import { alertBox, messageOf, icon, loading, errorBox, toast } from '../ui.js';
import { app } from '../app.js';
import { conversationTitle } from './messages.js';

const BLOCKED_KEY = 'mm.blocked';

function blockedSet() {
	try {
		return new Set(JSON.parse(localStorage.getItem(BLOCKED_KEY) || '[]'));
	} catch {
		return new Set();
	}
}

function setBlocked(userId, on) {
	const s = blockedSet();
	if (on) {
		s.add(userId);
	} else {
		s.delete(userId);
	}
	localStorage.setItem(BLOCKED_KEY, JSON.stringify([...s]));
}

export default async function conversation(root, params) {
	const id = params.id;
	const me = session.userId();
	const list = await get('/api/messaging/conversations');
	const conv = list.conversations.find((c) => c.id === id);
	if (!conv) {
		add(root, alertBox('This conversation does not exist or you are not part of it.'), h('a', { href: '/messages', class: 'btn btn-ghost', text: 'Back to messages' }));
		return undefined;
	}
	const title = conversationTitle(conv);
	const other = conv.type === 'direct' ? conv.participants.find((p) => p.userId !== me) : null;
	const names = new Map(conv.participants.map((p) => [p.userId, p.displayName || p.username]));

	const thread = h('ol', { class: 'thread', 'aria-label': `Messages with ${title}`, 'aria-live': 'polite' });
	const older = h('div', { class: 'center' });
	const msg = h('div', { 'aria-live': 'assertive' });
	const seen = new Set();
	let cursor = null;

	const bubble = (m) => {
		const mine = m.senderId === me;
		const item = h('li', { class: mine ? 'bubble mine' : 'bubble', 'data-message-id': m.id },
			mine ? null : h('span', { class: 'bubble-name small', text: names.get(m.senderId) || 'Someone' }),
			h('p', { class: 'bubble-text', text: m.content }),
			h('time', { class: 'bubble-time', datetime: m.createdAt, text: fmtDateTime(m.createdAt) }));
		if (mine) {
			const rm = h('button', { type: 'button', class: 'bubble-del', 'aria-label': 'Delete message' }, icon('trash'));
			rm.addEventListener('click', async () => {
				rm.disabled = true;
				try {
					await del(`/api/messaging/messages/${encodeURIComponent(m.id)}`);
					item.remove();
				} catch (e) {
					rm.disabled = false;
					toast(messageOf(e), 'error');
				}
			});
			item.appendChild(rm);
		}
		return item;
	};
	const nearBottom = () => window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
	const append = (m) => {
		if (seen.has(m.id)) {
			return;
		}
		seen.add(m.id);
		const stick = nearBottom();
		thread.appendChild(bubble(m));
		if (stick || m.senderId === me) {
			thread.lastChild.scrollIntoView({ block: 'end' });
		}
	};
	const markRead = () => post(`/api/messaging/conversations/${encodeURIComponent(id)}/read`).then(() => window.dispatchEvent(new CustomEvent('mm-unread'))).catch(() => {});

	const loadOlder = async () => {
		replace(older, loading());
		try {
			const r = await get(`/api/messaging/conversations/${encodeURIComponent(id)}/messages?limit=50${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`);
			const first = thread.firstChild;
			for (const m of r.messages.slice().reverse()) {
				if (!seen.has(m.id)) {
					seen.add(m.id);
					thread.insertBefore(bubble(m), first);
				}
			}
			cursor = r.nextCursor;
			replace(older, cursor ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: 'Earlier messages', onclick: loadOlder }) : null);
			if (!thread.children.length) {
				replace(older, h('p', { class: 'muted small', text: 'No messages yet. Say hello!' }));
			}
		} catch (e) {
			replace(older, errorBox(e, loadOlder, 'This conversation'));
		}
	};

	// ------------------------------------------------------------ block

	let blockBtn = null;
	if (other) {
		blockBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-block': other.userId });
		const draw = () => {
			blockBtn.textContent = blockedSet().has(other.userId) ? 'Unblock' : 'Block';
		};
		draw();
		blockBtn.addEventListener('click', async () => {
			const blocked = blockedSet().has(other.userId);
			if (!blocked && !confirm(`Block ${names.get(other.userId)}? Neither of you can message the other, and you will not see each other's activity.`)) {
				return;
			}
			blockBtn.disabled = true;
			try {
				if (blocked) {
					await del(`/api/messaging/block/${encodeURIComponent(other.userId)}`);
				} else {
					await post(`/api/messaging/block/${encodeURIComponent(other.userId)}`);
				}
				setBlocked(other.userId, !blocked);
				toast(blocked ? `${names.get(other.userId)} is unblocked` : `${names.get(other.userId)} is blocked`, 'ok');
				draw();
			} catch (e) {
				toast(messageOf(e), 'error');
			} finally {
				blockBtn.disabled = false;
			}
		});
	}

	// ------------------------------------------------------------ compose

	const text = h('textarea', { rows: '1', maxlength: '4000', placeholder: 'Message', 'aria-label': `Message ${title}`, id: uid('msg'), 'data-compose': '' });
	const send = h('button', { type: 'submit', class: 'btn btn-primary btn-icon send', 'aria-label': 'Send' }, icon('send'));
	const form = h('form', { class: 'composer' }, text, send);
	text.addEventListener('keydown', (e) => {
		if (e.key === 'Enter' && !e.shiftKey) {
			e.preventDefault();
			form.requestSubmit();
		}
	});
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const content = text.value;
		if (!content.trim()) {
			return;
		}
		replace(msg);
		send.disabled = true;
		try {
			const m = await post(`/api/messaging/conversations/${encodeURIComponent(id)}/messages`, { content });
			text.value = '';
			append(m);
			if (older.querySelector('p')) {
				replace(older);
			}
		} catch (err) {
			replace(msg, alertBox(messageOf(err)));
		} finally {
			send.disabled = false;
			text.focus();
		}
	});

	add(root, 
		h('div', { class: 'page-head conv-head' },
			h('a', { href: '/messages', class: 'btn btn-ghost btn-icon', 'aria-label': 'Back to messages' }, icon('back')),
			h('div', null, h('h1', { text: title }), h('p', { text: conv.type === 'group' ? `${conv.participants.length} people` : 'Direct message' })),
			h('span', { class: 'spacer' }), blockBtn),
		h('div', { class: 'card thread-card' }, older, thread),
		msg, form);

	await loadOlder();
	if (thread.lastChild) {
		thread.lastChild.scrollIntoView({ block: 'end' });
	}
	markRead();

	const onLive = (m) => {
		if (m.type === 'message' && m.data?.conversationId === id && m.data.message) {
			append(m.data.message);
			if (older.querySelector('p')) {
				replace(older);
			}
			if (m.data.message.senderId !== me) {
				markRead();
			}
		} else if (m.type === 'message_deleted' && m.data?.conversationId === id) {
			thread.querySelector(`[data-message-id="${CSS.escape(m.data.messageId)}"]`)?.remove();
		}
	};
	app.messagingListeners.add(onLive);
	return () => app.messagingListeners.delete(onLive);
}
