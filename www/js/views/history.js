// Workout history (contract §4.3): newest first, each with its muscle map;
// workouts still waiting in the offline queue are listed on top.

import { h, add, replace, fmtDate, fmtNum } from '../dom.js';
import { get } from '../api.js';
import { pageHead, errorBox, loading, empty, stat } from '../ui.js';
import { muscles, exerciseMap } from '../catalog.js';
import { muscleMap } from '../musclemap.js';
import * as outbox from '../outbox.js';

const PAGE = 10;

export function workoutCard(w, list, exById) {
	const names = w.exerciseData.map((x) => exById.get(x.exerciseId)?.name || x.exerciseId);
	return h('li', { class: 'history-item', 'data-workout': w.id },
		h('a', { href: `/history/${w.id}`, class: 'history-link' },
			h('div', { class: 'history-map' }, muscleMap({ muscles: list, values: w.muscleActivations, size: 'sm', title: `Muscles of the workout on ${fmtDate(w.date)}` })),
			h('div', { class: 'history-body' },
				h('div', { class: 'row' },
					h('strong', { text: fmtDate(w.date) }),
					h('span', { class: 'spacer' }),
					h('span', { class: 'chip accent', text: `${fmtNum(w.totalTu, 1)} TU` })),
				h('p', { class: 'muted small history-names', text: names.slice(0, 4).join(' · ') + (names.length > 4 ? ` +${names.length - 4}` : '') }),
				h('div', { class: 'chips' },
					h('span', { class: 'chip', text: w.creditsUsed > 0 ? `${w.creditsUsed} credits` : 'No charge' }),
					w.isPublic ? null : h('span', { class: 'chip', text: 'Private' }),
					w.notes ? h('span', { class: 'chip', text: 'Notes' }) : null))));
}

export default async function historyView(root) {
	const [list, exById] = await Promise.all([muscles(), exerciseMap()]);
	const statsBox = h('div');
	const queued = h('div');
	const ul = h('ul', { class: 'history-list', 'aria-label': 'Workouts' });
	const more = h('div', { class: 'center' });
	add(root, pageHead('History', 'Every workout and the muscles it trained.', h('a', { href: '/log', class: 'btn btn-primary', text: 'Log workout' })),
		statsBox, queued, ul, more);

	const drawQueued = () => {
		const items = outbox.pending();
		replace(queued, items.length ? h('section', { class: 'card', 'data-queued-list': '' },
			h('div', { class: 'card-head' }, h('h2', { text: 'Waiting to sync' }), h('span', { class: 'spacer' }), h('span', { class: 'chip warn', text: `${items.length} queued` })),
			h('ul', { class: 'list' }, items.map((it) => h('li', null,
				h('strong', { text: fmtDate(it.body.date) || 'Today' }),
				h('span', { class: 'muted small', text: ` · ${it.body.exercises.length} exercises · sent when you are back online` }))))) : null);
	};
	drawQueued();
	window.addEventListener('mm-outbox', drawQueued);

	get('/api/workouts/me/stats').then((st) => replace(statsBox, h('div', { class: 'grid stats history-stats' },
		stat(String(st.allTime.workoutCount), 'Workouts'),
		stat(fmtNum(st.allTime.totalTu, 0), 'Total TU'),
		stat(fmtNum(st.thisMonth.totalTu, 0), 'TU · 30 days')))).catch(() => {});

	let offset = 0;
	let total = null;
	const loadMore = async () => {
		replace(more, loading());
		try {
			const r = await get(`/api/workouts/me?limit=${PAGE}&offset=${offset}`);
			total = r.total;
			offset += r.workouts.length;
			for (const w of r.workouts) {
				ul.appendChild(workoutCard(w, list, exById));
			}
			if (total === 0) {
				replace(more, empty('No workouts yet.', h('a', { href: '/log', class: 'btn btn-primary btn-sm', text: 'Log your first workout' })));
			} else if (offset < total) {
				const btn = h('button', { type: 'button', class: 'btn btn-ghost', text: `Show more (${total - offset} left)` });
				btn.addEventListener('click', loadMore);
				replace(more, btn);
			} else {
				replace(more, h('p', { class: 'muted small', text: `${total} workout${total === 1 ? '' : 's'} in all` }));
			}
		} catch (e) {
			replace(more, errorBox(e, loadMore, 'Your history'));
		}
	};
	loadMore();
	const reload = () => {
		offset = 0;
		replace(ul);
		loadMore();
	};
	window.addEventListener('mm-workouts', reload);
	return () => {
		window.removeEventListener('mm-outbox', drawQueued);
		window.removeEventListener('mm-workouts', reload);
	};
}
