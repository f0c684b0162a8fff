// Conversations (contract §9.1, §9.2): most recent first, with unread
// counts that follow incoming messages live.

import { h, add, replace, timeAgo, avatar, field } from '../dom.js';
import { get, session } from '../api.js';
import { pageHead, asyncSection, card, alertBox, messageOf } from '../ui.js';
import { app, setUnread } from '../app.js';
import { startConversation } from './community.js';

export function conversationTitle(c) {
	if (c.type === 'group' && c.name) {
		return c.name;
	}
	const me = session.userId();
	const others = c.participants.filter((p) => p.userId !== me);
	return others.map((p) => p.displayName || p.username).join(', ') || 'Just you';
}

export default async function messages(root) {
	const listBox = h('div');
	const msg = h('div', { 'aria-live': 'polite' });
	const who = h('input', { type: 'text', placeholder: 'user_…', autocomplete: 'off', pattern: 'user_[0-9a-f]{32}' });
	const start = h('form', { class: 'row wrap new-conv', novalidate: true },
		field('User id', who, 'Or tap the message button next to someone in Community.').wrap,
		h('button', { type: 'submit', class: 'btn btn-primary', text: 'Start conversation' }));
	start.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(msg);
		if (!who.value.trim()) {
			replace(msg, alertBox('Enter the id of the person to message.'));
			return;
		}
		try {
			await startConversation(who.value.trim());
		} catch (err) {
			replace(msg, alertBox(messageOf(err)));
		}
	});

	add(root, pageHead('Messages'), msg,
		card(null, listBox),
		h('details', { class: 'card' }, h('summary', { text: 'New conversation' }), start));

	const load = () => asyncSection(listBox, () => get('/api/messaging/conversations'), (r) => {
		const total = r.conversations.reduce((a, c) => a + (c.unreadCount || 0), 0);
		setUnread(total);
		if (!r.conversations.length) {
			return h('div', { class: 'empty' }, h('p', { text: 'No conversations yet. Say hi to someone from the Community feed or the leaderboard.' }), h('a', { href: '/community', class: 'btn btn-primary btn-sm', text: 'Open Community' }));
		}
		return h('ul', { class: 'conv-list', 'aria-label': 'Conversations' }, r.conversations.map((c) => {
			const title = conversationTitle(c);
			const last = c.lastMessage;
			return h('li', { 'data-conversation': c.id },
				h('a', { href: `/messages/${c.id}`, class: c.unreadCount ? 'conv unread' : 'conv' },
					avatar(title, null),
					h('div', { class: 'conv-main' },
						h('div', { class: 'row' }, h('strong', { text: title }), h('span', { class: 'spacer' }), h('time', { class: 'faint small', datetime: c.lastMessageAt || c.createdAt, text: timeAgo(c.lastMessageAt || c.createdAt) })),
						h('div', { class: 'row' },
							h('span', { class: 'muted small conv-last', text: last ? `${last.senderId === session.userId() ? 'You: ' : ''}${last.content}` : 'No messages yet' }),
							h('span', { class: 'spacer' }),
							c.unreadCount ? h('span', { class: 'badge', 'data-unread': String(c.unreadCount), 'aria-label': `${c.unreadCount} unread`, text: String(c.unreadCount) }) : null))));
		}));
	}, 'Messages');
	load();
	const onLive = (m) => {
		if (m.type === 'message' || m.type === 'message_deleted') {
			load();
		}
	};
	app.messagingListeners.add(onLive);
	return () => app.messagingListeners.delete(onLive);
}
