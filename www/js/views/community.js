// Community (contract §7, §8): the live feed, presence, high-fives, the
// leaderboard and competitions.

import { h, add, replace, fmtNum, timeAgo, avatar, field, select, fmtDateTime } from '../dom.js';
import { get, post, session, ApiError } from '../api.js';
import { pageHead, asyncSection, card, alertBox, messageOf, toast, icon, errorBox, loading, stat } from '../ui.js';
import { muscles } from '../catalog.js';
import { stream } from '../realtime.js';
import { navigate } from '../app.js';

const TABS = [['feed', 'Feed'], ['leaderboard', 'Leaders'], ['competitions', 'Contests'], ['highfives', 'High-fives']];

export async function startConversation(userId) {
	const c = await post('/api/messaging/conversations', { type: 'direct', participantIds: [userId] });
	navigate(`/messages/${c.id}`);
}

function personActions(userId, name) {
	const me = session.userId();
	if (!userId || userId === me) {
		return null;
	}
	const five = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-highfive': userId, 'aria-label': `High-five ${name}` }, icon('hand'), 'High-five');
	five.addEventListener('click', async () => {
		five.disabled = true;
		try {
			await post('/api/highfives/send', { recipientId: userId });
			five.replaceChildren(icon('hand'), 'Sent');
			five.classList.add('sent');
			toast(`High-five sent to ${name}`, 'ok', 2500);
		} catch (e) {
			five.disabled = false;
			toast(messageOf(e), 'error');
		}
	});
	const msg = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-message': userId, 'aria-label': `Message ${name}` }, icon('chat'));
	msg.addEventListener('click', async () => {
		msg.disabled = true;
		try {
			await startConversation(userId);
		} catch (e) {
			msg.disabled = false;
			toast(messageOf(e), 'error');
		}
	});
	return h('div', { class: 'row event-actions' }, five, msg);
}

export default async function community(root) {
	const muscleList = await muscles().catch(() => []);
	const mName = new Map(muscleList.map((m) => [m.id, m.name]));
	let tab = new URLSearchParams(location.search).get('tab') || 'feed';
	const presence = h('div', { class: 'presence', 'data-presence': '' });
	const live = h('span', { class: 'live-dot', 'data-live': 'connecting', title: 'Connecting' }, h('span', { class: 'sr-only', text: 'Live updates connecting' }));
	const tabs = h('div', { class: 'seg', role: 'tablist', 'aria-label': 'Community sections' });
	const panel = h('div', { role: 'tabpanel' });
	add(root, pageHead('Community', 'See what everyone is lifting, right now.', live), presence, h('div', { class: 'tabs-row' }, tabs), panel);

	// ------------------------------------------------------------ presence

	const drawPresence = () => get('/api/community/presence', { auth: 'none' }).then((p) => {
		replace(presence, h('span', { class: 'pulse', 'aria-hidden': 'true' }),
			h('strong', { 'data-presence-total': String(p.total), text: String(p.total) }),
			` athlete${p.total === 1 ? '' : 's'} training now`,
			p.byGeoBucket.length ? h('span', { class: 'muted small', text: ` · ${p.byGeoBucket.slice(0, 3).map((b) => `${b.geoBucket} ${b.count}`).join(' · ')}` }) : null);
	}).catch((e) => {
		replace(presence, e instanceof ApiError && e.unavailable ? null : alertBox(messageOf(e)));
	});
	const beat = () => post('/api/community/presence', {}).catch(() => {});
	beat().then(drawPresence);
	const beatTimer = setInterval(() => { beat(); drawPresence(); }, 60000);

	// ------------------------------------------------------------ feed

	const feedList = h('ul', { class: 'feed', 'aria-label': 'Activity feed', 'aria-live': 'polite' });
	const feedMore = h('div', { class: 'center' });
	const seen = new Set();
	let cursor = null;

	const eventText = (e) => {
		const p = e.payload || {};
		switch (e.eventType) {
		case 'workout_completed':
			return [`logged a workout · ${fmtNum(p.totalTu, 1)} TU`, (p.topMuscles || []).map((m) => mName.get(m) || m).join(', ')];
		case 'level_up':
			return [`reached level ${p.level}${p.levelName ? ` — ${p.levelName}` : ''}`, null];
		case 'milestone_achieved':
			return [`earned a milestone: ${p.name || p.milestoneId}`, null];
		case 'high_five':
			return [`high-fived ${p.recipientUsername ? '@' + p.recipientUsername : 'someone'}`, p.reason || null];
		default:
			return [e.eventType.replace(/_/g, ' '), null];
		}
	};
	const eventItem = (e, fresh) => {
		const name = e.displayName || e.username || 'Someone';
		const [what, detail] = eventText(e);
		return h('li', { class: fresh ? 'event new' : 'event', 'data-event-id': e.id, 'data-event-type': e.eventType, 'data-workout': e.payload?.workoutId || null },
			avatar(name, null),
			h('div', { class: 'event-body' },
				h('p', null, h('strong', { text: name }), ' ', what),
				detail ? h('p', { class: 'muted small', text: detail }) : null,
				h('div', { class: 'row event-foot' },
					h('time', { class: 'faint small', datetime: e.createdAt, text: timeAgo(e.createdAt) }),
					h('span', { class: 'spacer' }),
					personActions(e.userId, name))));
	};
	const loadFeed = async () => {
		replace(feedMore, loading());
		try {
			const r = await get(`/api/community/feed?limit=20${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`, { auth: 'optional' });
			for (const e of r.events) {
				if (!seen.has(e.id)) {
					seen.add(e.id);
					feedList.appendChild(eventItem(e, false));
				}
			}
			cursor = r.nextCursor;
			if (!feedList.children.length) {
				replace(feedMore, h('div', { class: 'empty' }, h('p', { text: 'No activity yet. Log a workout and be the first!' })));
			} else if (cursor) {
				replace(feedMore, h('button', { type: 'button', class: 'btn btn-ghost', text: 'Older activity', onclick: loadFeed }));
			} else {
				replace(feedMore);
			}
		} catch (e) {
			replace(feedMore, errorBox(e, loadFeed, 'The community feed'));
		}
	};
	const feedPanel = h('div', null, feedList, feedMore);
	loadFeed();

	const rt = stream('community', {
		onMessage(msg) {
			if (msg.type !== 'activity' || !msg.data || !msg.data.id || seen.has(msg.data.id)) {
				return;
			}
			seen.add(msg.data.id);
			const empty = feedMore.querySelector('.empty');
			if (empty) {
				replace(feedMore);
			}
			feedList.insertBefore(eventItem(msg.data, true), feedList.firstChild);
		},
		onStatus(s) {
			live.dataset.live = s;
			live.title = s === 'live' ? 'Live' : s === 'connecting' ? 'Connecting' : 'Reconnecting';
			live.firstChild.textContent = `Live updates ${live.title.toLowerCase()}`;
		},
	});

	// ------------------------------------------------------------ leaderboard

	const leaderboard = () => {
		const box = h('div');
		asyncSection(box, () => get('/api/progression/leaderboard?limit=50', { auth: 'none' }), (r) => r.leaderboard.length
			? h('ol', { class: 'leaderboard' }, r.leaderboard.map((e) => {
				const name = e.displayName || e.username;
				return h('li', { class: e.userId === session.userId() ? 'me' : null, 'data-user': e.userId },
					h('span', { class: `rank rank-${e.rank}`, text: String(e.rank) }),
					avatar(name, e.avatarUrl),
					h('div', { class: 'lb-main' }, h('strong', { text: name }), h('div', { class: 'muted small', text: `Level ${e.level}${e.archetypeId ? ` · ${e.archetypeId}` : ''} · ${e.workoutCount} workouts` })),
					h('strong', { class: 'num', text: `${fmtNum(e.totalTu, 0)} TU` }),
					personActions(e.userId, name));
			}))
			: h('p', { class: 'muted', text: 'Nobody on the board yet.' }), 'The leaderboard');
		return box;
	};

	// ------------------------------------------------------------ competitions

	const competitions = () => {
		const box = h('div');
		const msg = h('div', { 'aria-live': 'polite' });
		const list = h('div');
		const load = () => asyncSection(list, () => get('/api/competitions', { auth: 'optional' }), (r) => r.competitions.length
			? h('ul', { class: 'list comps' }, r.competitions.map((c) => {
				const standings = h('div');
				const join = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-join': c.id, text: c.entryFee ? `Join · ${c.entryFee} credits` : 'Join' });
				join.addEventListener('click', async () => {
					join.disabled = true;
					replace(msg);
					try {
						const res = await post(`/api/competitions/${encodeURIComponent(c.id)}/join`);
						toast(res.alreadyJoined ? 'You are already in' : `Joined ${c.name}`, 'ok');
						window.dispatchEvent(new CustomEvent('mm-credits'));
						load();
					} catch (e) {
						join.disabled = false;
						replace(msg, alertBox(messageOf(e)));
					}
				});
				const show = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'aria-expanded': 'false', text: 'Standings' });
				show.addEventListener('click', () => {
					const open = show.getAttribute('aria-expanded') !== 'true';
					show.setAttribute('aria-expanded', String(open));
					if (!open) {
						replace(standings);
						return;
					}
					asyncSection(standings, () => get(`/api/competitions/${encodeURIComponent(c.id)}/standings`, { auth: 'optional' }), (s) => s.standings.length
						? h('ol', { class: 'standings' }, s.standings.map((x) => h('li', null, h('span', { class: 'rank', text: String(x.rank) }), h('span', { text: x.displayName || x.username }), h('span', { class: 'spacer' }), h('strong', { class: 'num', text: fmtNum(x.score, 1) }))))
						: h('p', { class: 'muted small', text: 'No participants yet.' }), 'The standings');
				});
				return h('li', { 'data-competition': c.id },
					h('div', { class: 'row wrap' },
						h('div', null, h('strong', { text: c.name }), h('div', { class: 'muted small', text: `${c.type.replace('_', ' ')} · ${fmtDateTime(c.startDate)} – ${fmtDateTime(c.endDate)}` })),
						h('span', { class: 'spacer' }),
						h('span', { class: `chip ${c.status === 'active' ? 'ok' : ''}`, text: c.status }),
						h('span', { class: 'chip', text: `${c.participantCount} in` }),
						c.prizePool ? h('span', { class: 'chip accent', text: `${c.prizePool} pot` }) : null),
					c.description ? h('p', { class: 'muted small', text: c.description }) : null,
					h('div', { class: 'row' }, ['draft', 'active'].includes(c.status) ? join : null, show),
					standings);
			}))
			: h('p', { class: 'muted', text: 'No competitions right now. Start one!' }), 'Competitions');

		const name = h('input', { type: 'text', maxlength: '100', required: true });
		const type = select([['total_tu', 'Most Training Units'], ['workouts', 'Most workouts'], ['streak', 'Longest streak']], 'total_tu');
		const days = select([['7', '1 week'], ['14', '2 weeks'], ['30', '30 days']], '7');
		const fee = h('input', { type: 'number', min: '0', max: '100000', step: '1', value: '0' });
		const today = new Date().toISOString().slice(0, 10);
		const starts = h('input', { type: 'date', value: today, min: today });
		const create = h('form', { class: 'comp-form', novalidate: true },
			h('div', { class: 'grid cols-2' }, field('Name', name).wrap, field('Scoring', type).wrap, field('Starts', starts).wrap, field('Length', days).wrap, field('Entry fee (credits)', fee).wrap),
			h('button', { type: 'submit', class: 'btn btn-primary', text: 'Create competition' }));
		create.addEventListener('submit', async (e) => {
			e.preventDefault();
			replace(msg);
			if (!name.value.trim()) {
				replace(msg, alertBox('Give the competition a name.'));
				return;
			}
			const start = !starts.value || starts.value <= today ? new Date() : new Date(`${starts.value}T00:00:00Z`);
			const end = new Date(start.getTime() + Number(days.value) * 86400000);
			try {
				const c = await post('/api/competitions', { name: name.value.trim(), type: type.value, startDate: start.toISOString(), endDate: end.toISOString(), entryFee: Number(fee.value) || 0 });
				toast(`Created ${c.name}`, 'ok');
				name.value = '';
				load();
			} catch (err) {
				replace(msg, alertBox(messageOf(err)));
			}
		});
		load();
		box.append(msg, list, h('details', { class: 'comp-create' }, h('summary', { text: 'Start a competition' }), create));
		return box;
	};

	// ------------------------------------------------------------ high-fives

	const highfives = () => {
		const box = h('div');
		asyncSection(box, () => Promise.all([get('/api/highfives/stats'), get('/api/highfives/users')]), ([s, u]) => [
			h('div', { class: 'grid stats' }, stat(String(s.received), 'Received'), stat(String(s.sent), 'Sent')),
			u.users.length
				? h('ul', { class: 'list' }, u.users.map((x) => {
					const name = x.displayName || x.username;
					return h('li', { class: 'row' }, avatar(name, x.avatarUrl),
						h('div', null, h('strong', { text: name }), h('div', { class: 'muted small', text: `${x.count} high-five${x.count === 1 ? '' : 's'} · ${timeAgo(x.lastAt)}` })),
						h('span', { class: 'spacer' }), personActions(x.userId, name));
				}))
				: h('p', { class: 'muted', text: 'No high-fives yet. Send one from the feed!' }),
		], 'High-fives');
		return box;
	};

	const drawTabs = () => {
		replace(tabs, ...TABS.map(([id, label]) => {
			const b = h('button', { type: 'button', role: 'tab', 'aria-selected': String(tab === id), 'data-tab': id, text: label });
			b.addEventListener('click', () => {
				tab = id;
				history.replaceState(null, '', id === 'feed' ? '/community' : `/community?tab=${id}`);
				drawTabs();
			});
			return b;
		}));
		const views = { feed: () => feedPanel, leaderboard, competitions, highfives };
		replace(panel, card(null, (views[tab] || views.feed)()));
	};
	drawTabs();

	return () => {
		rt.close();
		clearInterval(beatTimer);
	};
}
