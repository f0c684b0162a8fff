// One workout (contract §4.4): its muscle map, exercises and charge.

import { h, add, fmtDate, fmtNum, fmtDateTime } from '../dom.js';
import { get } from '../api.js';
import { card, stat, icon } from '../ui.js';
import { muscles, exerciseMap } from '../catalog.js';
import { muscleMap } from '../musclemap.js';
import { fmtWeight } from '../prefs.js';

export default async function workoutView(root, params) {
	const [list, exById, w] = await Promise.all([muscles(), exerciseMap(), get(`/api/workouts/${encodeURIComponent(params.id)}`)]);
	add(root, 
		h('div', { class: 'page-head' },
			h('a', { href: '/history', class: 'btn btn-ghost btn-icon', 'aria-label': 'Back to history' }, icon('back')),
			h('div', null, h('h1', { text: fmtDate(w.date) }), h('p', { text: `Logged ${fmtDateTime(w.createdAt)}` }))),
		h('div', { class: 'grid stats' },
			stat(fmtNum(w.totalTu), 'Training Units'),
			stat(String(w.exerciseData.length), 'Exercises'),
			stat(w.creditsUsed > 0 ? String(w.creditsUsed) : '0', 'Credits')),
		h('div', { class: 'grid cols-2 detail-grid' },
			card('Muscle map', muscleMap({ muscles: list, values: w.muscleActivations, title: `Muscles trained on ${fmtDate(w.date)}`, tableOpen: true })),
			card('Exercises',
				h('ul', { class: 'list' }, w.exerciseData.map((x) => h('li', { 'data-exercise': x.exerciseId },
					h('strong', { text: exById.get(x.exerciseId)?.name || x.exerciseId }),
					h('div', { class: 'muted small', text: [
						`${x.sets} set${x.sets === 1 ? '' : 's'}`,
						x.reps != null ? `${x.reps} reps` : null,
						x.weight != null ? fmtWeight(x.weight) : null,
						x.duration != null ? `${x.duration} s` : null,
					].filter(Boolean).join(' · ') }),
					x.notes ? h('p', { class: 'small', text: x.notes }) : null))),
				w.notes ? h('div', { class: 'notes' }, h('h3', { text: 'Notes' }), h('p', { text: w.notes })) : null,
				h('p', { class: 'muted small', text: w.isPublic ? 'Shared in the community feed' : 'Private workout' }))));
}
