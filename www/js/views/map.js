// The muscle map explorer: the week (§4.6), a longer period, or what a
// single exercise works (§3.3).

import { h, add, replace, field, select, debounce, uid } from '../dom.js';
import { get } from '../api.js';
import { pageHead, asyncSection, card } from '../ui.js';
import { muscles, exercises, filterExercises } from '../catalog.js';
import { muscleMap } from '../musclemap.js';

const MODES = [
	['7', 'This week'],
	['30', '30 days'],
	['365', 'Year'],
	['exercise', 'Exercise'],
];

export default async function mapView(root) {
	const [list, catalog] = await Promise.all([muscles(), exercises()]);
	const params = new URLSearchParams(location.search);
	let mode = params.get('exercise') ? 'exercise' : (params.get('days') || '7');
	let exerciseId = params.get('exercise') || 'bw-pushup';

	const tabs = h('div', { class: 'seg', role: 'tablist', 'aria-label': 'What to show' });
	const body = h('div', { role: 'tabpanel' });
	const picker = h('div');
	const mapBox = h('div');
	body.append(picker, mapBox);

	const drawTabs = () => {
		replace(tabs, ...MODES.map(([id, label]) => {
			const b = h('button', { type: 'button', role: 'tab', 'aria-selected': String(mode === id), 'data-mode': id, text: label });
			b.addEventListener('click', () => {
				mode = id;
				const q = id === 'exercise' ? `?exercise=${encodeURIComponent(exerciseId)}` : (id === '7' ? '' : `?days=${id}`);
				history.replaceState(null, '', `/map${q}`);
				drawTabs();
				draw();
			});
			return b;
		}));
	};

	const drawPicker = () => {
		if (mode !== 'exercise') {
			replace(picker);
			return;
		}
		const q = h('input', { type: 'search', placeholder: 'Filter exercises', autocomplete: 'off' });
		const sel = h('select', { 'data-exercise-select': '' });
		const fill = () => {
			const found = filterExercises(catalog, { search: q.value });
			replace(sel, ...found.slice(0, 200).map((e) => h('option', { value: e.id, text: e.name, selected: e.id === exerciseId })));
		};
		fill();
		q.addEventListener('input', debounce(fill, 150));
		sel.addEventListener('change', () => {
			exerciseId = sel.value;
			history.replaceState(null, '', `/map?exercise=${encodeURIComponent(exerciseId)}`);
			drawMap();
		});
		q.id = uid('q');
		replace(picker, h('div', { class: 'filters two' }, field('Search', q).wrap, field('Exercise', sel).wrap));
	};

	const drawMap = () => {
		if (mode === 'exercise') {
			const ex = catalog.find((e) => e.id === exerciseId);
			asyncSection(mapBox, () => get(`/api/exercises/${encodeURIComponent(exerciseId)}/activations`, { auth: 'none' }), (r) => {
				const values = Object.fromEntries(r.activations.map((a) => [a.muscleId, a.activation]));
				return [
					ex ? h('p', { class: 'muted', text: ex.description }) : null,
					muscleMap({ muscles: list, values, unit: '%', title: `Muscles worked by ${ex?.name || exerciseId}`, tableOpen: true }),
				];
			}, 'The exercise map');
		} else {
			asyncSection(mapBox, () => get(`/api/workouts/me/muscles?days=${mode}`), (r) =>
				muscleMap({ muscles: list, values: r.muscleActivations, title: `Muscles trained in the last ${r.days} days`, tableOpen: true }), 'The muscle map');
		}
	};

	const draw = () => {
		drawPicker();
		drawMap();
	};

	add(root, pageHead('Muscle map', 'All 44 muscles, shaded by how much work they did. Hover or tap a muscle for its value.'),
		card(null, h('div', { class: 'row wrap map-tabs' }, tabs), body));
	drawTabs();
	draw();
}
