// "More" on phones: every screen that has no tab of its own.

import { h, add } from '../dom.js';
import { logout } from '../api.js';
import { icon, pageHead } from '../ui.js';
import { app } from '../app.js';

const ITEMS = [
	['/history', 'History', 'Every workout with its muscle map', 'history'],
	['/journey', 'Journey', 'Archetype, levels and weekly balance', 'route'],
	['/coach', 'Coach', 'A workout plan made for today', 'spark'],
	['/messages', 'Messages', 'Conversations with other athletes', 'chat'],
	['/goals', 'Goals', 'Milestones, rewards, insights and tips', 'target'],
	['/credits', 'Credits', 'Balance, history and pricing', 'coin'],
	['/settings', 'Settings', 'Profile, units, theme and privacy', 'settings'],
];

export default async function more(root) {
	const out = h('button', { type: 'button', class: 'btn btn-ghost btn-block' }, icon('logout'), 'Sign out');
	out.addEventListener('click', async () => {
		out.disabled = true;
		await logout();
	});
	add(root, pageHead('More'),
		h('nav', { class: 'card menu', 'aria-label': 'More screens' },
			h('ul', { class: 'list' }, ITEMS.map(([href, label, desc, ic]) => h('li', null,
				h('a', { href, class: 'menu-item' },
					h('span', { class: 'menu-ico' }, icon(ic)),
					h('span', { class: 'menu-text' }, h('strong', { text: label }), h('span', { class: 'muted small', text: desc })),
					href === '/messages' ? h('span', { class: `badge${app.unread ? '' : ' hidden'}`, 'data-badge': 'messages', text: String(app.unread || '') }) : null))))),
		h('div', { class: 'more-foot' }, out));
}
