// Today: the journey at a glance (level, progress to the next level, this
// week, streak), this week's muscle map, recent workouts and a tip.

import { h, add, replace, fmtNum, fmtDate } from '../dom.js';
import { get, session, ApiError } from '../api.js';
import { asyncSection, card, progressBar, stat, errorBox, icon, tipCard } from '../ui.js';
import { muscles } from '../catalog.js';
import { muscleMap } from '../musclemap.js';

export async function currentUser() {
	const s = session.get();
	if (s?.user?.username) {
		return s.user;
	}
	const me = await get('/api/auth/me');
	session.set({ user: me });
	return me;
}

function greeting() {
	const hr = new Date().getHours();
	return hr < 12 ? 'Good morning' : hr < 18 ? 'Good afternoon' : 'Good evening';
}

export function journeyCard(j) {
	if (!j.archetype) {
		return h('section', { class: 'card hero', 'data-journey': 'none' },
			h('div', { class: 'card-head' }, h('h2', { text: 'Start your journey' })),
			h('p', { class: 'muted', text: 'Pick an archetype — bodybuilder, powerlifter, gymnast… — and every workout moves you up its levels.' }),
			h('div', { class: 'row wrap' },
				h('span', { class: 'chip accent', text: `Level ${j.level}` }),
				h('span', { class: 'chip', text: `${fmtNum(j.totalTu, 0)} TU total` }),
				h('span', { class: 'chip', text: `${j.streak}-day streak` })),
			h('div', { class: 'row', 'data-gap': '' }, h('a', { href: '/journey', class: 'btn btn-primary', text: 'Choose an archetype' })));
	}
	const top = j.nextLevelTu === null;
	return h('section', { class: 'card hero', 'data-journey': j.archetype.id },
		h('div', { class: 'row' },
			h('div', null,
				h('div', { class: 'muted small', text: j.archetype.name }),
				h('h2', { class: 'level-name', text: j.levelName || `Level ${j.level}` })),
			h('span', { class: 'spacer' }),
			h('div', { class: 'level-badge', 'aria-label': `Level ${j.level}` }, h('small', { text: 'LVL' }), h('strong', { text: String(j.level) }))),
		progressBar(j.progressPercent, 'Progress to the next level'),
		h('div', { class: 'row small muted level-foot' },
			h('span', { text: `${fmtNum(j.totalTu, 0)} TU` }),
			h('span', { class: 'spacer' }),
			h('span', { text: top ? 'Top level reached' : `${fmtNum(j.tuToNextLevel, 0)} TU to level ${j.level + 1}` })));
}

export default async function today(root) {
	const user = await currentUser().catch(() => session.get()?.user || {});
	const name = user.displayName || user.username || 'athlete';
	const heroBox = h('div');
	const statsBox = h('div');
	const mapBox = h('div');
	const recentBox = h('div');
	const tipBox = h('div');

	add(root, 
		h('div', { class: 'page-head' },
			h('div', null,
				h('p', { class: 'muted small', text: new Date().toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' }) }),
				h('h1', { text: `${greeting()}, ${name}` })),
			h('span', { class: 'spacer' }),
			h('a', { href: '/log', class: 'btn btn-primary' }, icon('plus'), 'Log workout')),
		heroBox, tipBox, statsBox,
		h('div', { class: 'grid cols-2 today-grid' },
			card('This week', { action: h('a', { href: '/map', text: 'Open map' }) }, mapBox),
			card('Recent workouts', { action: h('a', { href: '/history', text: 'All' }) }, recentBox)));

	// Journey (§6.4); when the journey service is not deployed yet the
	// workout statistics still tell the week.
	const statsP = get('/api/workouts/me/stats');
	const journeyP = get('/api/journey').catch((e) => e);
	asyncSection(heroBox, async () => journeyP, (j) => {
		if (j instanceof ApiError) {
			if (j.unavailable) {
				return h('div');
			}
			throw j;
		}
		return journeyCard(j);
	}, 'Your journey');

	asyncSection(statsBox, async () => [await statsP, await journeyP], ([st, j]) => {
		const streak = j instanceof ApiError ? null : j.streak;
		return h('div', { class: 'grid stats', 'data-stats': '', 'aria-label': 'Last 7 days' },
			stat(String(st.thisWeek.workoutCount), 'Workouts'),
			stat(fmtNum(st.thisWeek.totalTu, 0), 'Week TU'),
			streak === null ? stat(String(st.allTime.workoutCount), 'All time') : stat(`${streak} d`, 'Streak'));
	}, 'Your statistics');

	const reloadMap = asyncSection(mapBox, async () => Promise.all([muscles(), get('/api/workouts/me/muscles?days=7')]), ([list, r]) =>
		muscleMap({ muscles: list, values: r.muscleActivations, title: 'Muscles trained in the last 7 days', table: true }), 'The muscle map');

	const reloadRecent = asyncSection(recentBox, () => get('/api/workouts/me?limit=3'), (r) => {
		if (!r.workouts.length) {
			return h('div', { class: 'empty' },
				h('p', { text: 'No workouts yet. Your first one lights up the map.' }),
				h('a', { href: '/log', class: 'btn btn-primary btn-sm', text: 'Log your first workout' }));
		}
		return h('ul', { class: 'list' }, r.workouts.map((w) => h('li', null,
			h('a', { href: `/history/${w.id}`, class: 'row workout-row' },
				h('div', null,
					h('strong', { text: fmtDate(w.date) }),
					h('div', { class: 'muted small', text: `${w.exerciseData.length} exercise${w.exerciseData.length === 1 ? '' : 's'}` })),
				h('span', { class: 'spacer' }),
				h('span', { class: 'chip accent', text: `${fmtNum(w.totalTu, 1)} TU` })))));
	}, 'Recent workouts');

	// One contextual tip (§10.2), if the tips service is there.
	get('/api/tips/contextual?context=dashboard').then((r) => {
		const tip = r.tips && r.tips[0];
		if (!tip) {
			return;
		}
		const el = tipCard(tip);
		replace(tipBox, el);
	}).catch((e) => {
		if (!(e instanceof ApiError && (e.unavailable || e.network))) {
			replace(tipBox, errorBox(e));
		}
	});

	const onWorkouts = () => {
		reloadMap();
		reloadRecent();
	};
	window.addEventListener('mm-workouts', onWorkouts);
	return () => window.removeEventListener('mm-workouts', onWorkouts);
}
