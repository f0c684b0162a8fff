// Coach (contract §6.7, §6.8): generate a workout plan for the time,
// place and equipment at hand, then start it in the workout logger.

import { h, add, replace, field, select, uid } from '../dom.js';
import { get, post, newKey } from '../api.js';
import { pageHead, card, alertBox, errorBox, loading, icon } from '../ui.js';
import { muscles, exercises, label } from '../catalog.js';
import { muscleMap } from '../musclemap.js';
import { navigate } from '../app.js';

const LOCATIONS = ['gym', 'home', 'outdoor', 'park', 'hotel', 'office', 'travel'];
const GOALS = ['strength', 'hypertrophy', 'endurance', 'mobility', 'fat_loss'];
const LAST_KEY = 'mm.lastPlan';

function checks(name, values, checked = [], labeller = label) {
	return h('div', { class: 'check-grid', role: 'group' }, values.map((v) =>
		h('label', { class: 'check small' },
			h('input', { type: 'checkbox', name, value: v, checked: checked.includes(v) }),
			h('span', { text: labeller(v) }))));
}

export default async function coach(root) {
	const [muscleList, catalog] = await Promise.all([muscles(), exercises()]);
	const exById = new Map(catalog.map((e) => [e.id, e]));
	const groups = [...new Set(muscleList.map((m) => m.muscleGroup))].sort();
	const equipment = [...new Set(catalog.flatMap((e) => e.equipmentRequired || []))].sort();
	const planBox = h('div', { 'aria-live': 'polite' });
	const msg = h('div', { 'aria-live': 'assertive' });

	const duration = h('input', { type: 'range', min: '15', max: '120', step: '5', value: '45', name: 'duration' });
	const durationOut = h('output', { for: duration.id = uid('d'), text: '45 min' });
	duration.addEventListener('input', () => { durationOut.textContent = `${duration.value} min`; });
	const location = select(LOCATIONS.map((l) => [l, label(l)]), 'gym', { name: 'location' });
	const level = select([['', 'Any level'], ['beginner', 'Beginner'], ['intermediate', 'Intermediate'], ['advanced', 'Advanced']], '', { name: 'fitnessLevel' });
	const compound = h('input', { type: 'checkbox', name: 'preferCompound', checked: true });
	const eqBox = checks('equipment', equipment, ['dumbbells', 'barbell', 'bench', 'pullup_bar'].filter((x) => equipment.includes(x)));
	const groupBox = checks('muscleTargets', groups, [], (g) => g);
	const goalBox = checks('goals', GOALS, ['hypertrophy']);
	const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-generate': '' }, icon('spark'), 'Create my plan');

	const form = h('form', { class: 'coach-form', novalidate: true },
		h('div', { class: 'field' }, h('label', { for: duration.id, text: 'Time available' }), h('div', { class: 'row' }, duration, durationOut)),
		h('div', { class: 'grid cols-2' }, field('Where', location).wrap, field('Fitness level', level).wrap),
		h('fieldset', null, h('legend', { text: 'Focus on (optional)' }), groupBox),
		h('fieldset', null, h('legend', { text: 'Goals' }), goalBox),
		h('details', null, h('summary', { text: 'Equipment you have' }), eqBox),
		h('label', { class: 'check' }, compound, h('span', { text: 'Prefer compound lifts' })),
		msg, submit);

	const values = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

	const showPlan = (p) => {
		localStorage.setItem(LAST_KEY, p.id);
		const start = h('button', { type: 'button', class: 'btn btn-primary btn-block', 'data-start-plan': p.id }, icon('plus'), 'Start this workout');
		start.addEventListener('click', () => {
			sessionStorage.removeItem('mm.draft');
			sessionStorage.setItem('mm.prefill', JSON.stringify({ exercises: p.exercises, estimatedDuration: p.estimatedDuration }));
			navigate('/log');
		});
		const step = (x) => h('li', null, h('strong', { text: label(x.type) }), h('span', { class: 'muted small', text: ` · ${Math.round(x.duration / 60)} min — ${x.description}` }));
		replace(planBox,
			h('section', { class: 'card hero', 'data-plan': p.id },
				h('div', { class: 'row wrap' },
					h('h2', { text: 'Your plan' }), h('span', { class: 'spacer' }),
					h('span', { class: 'chip accent', text: `${p.estimatedDuration} min` }),
					h('span', { class: p.creditCost ? 'chip' : 'chip ok', text: p.creditCost ? `${p.creditCost} credit` : 'Free' })),
				p.warmup.length ? h('div', null, h('h3', { text: 'Warm-up' }), h('ul', { class: 'plain' }, p.warmup.map(step))) : null,
				h('h3', { text: 'Workout' }),
				h('ol', { class: 'plan-list' }, p.exercises.map((x) => {
					const subs = (p.substitutions[x.exerciseId] || []).map((id) => exById.get(id)?.name || id);
					return h('li', { 'data-exercise': x.exerciseId },
						h('div', { class: 'row' }, h('strong', { text: x.name || exById.get(x.exerciseId)?.name || x.exerciseId }), h('span', { class: 'spacer' }),
							h('span', { class: 'chip', text: `${x.sets} × ${x.reps}` })),
						h('div', { class: 'muted small', text: `Rest ${x.restSeconds} s${subs.length ? ` · or: ${subs.slice(0, 3).join(', ')}` : ''}` }));
				})),
				p.cooldown.length ? h('div', null, h('h3', { text: 'Cool-down' }), h('ul', { class: 'plain' }, p.cooldown.map(step))) : null,
				h('h3', { text: 'Coverage' }),
				muscleMap({ muscles: muscleList, values: p.muscleCoverage, unit: '', title: 'Muscles this plan covers' }),
				start));
		planBox.scrollIntoView({ behavior: 'smooth', block: 'start' });
	};

	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(msg);
		const body = {
			duration: Number(duration.value),
			location: location.value,
			equipment: values('equipment'),
			muscleTargets: values('muscleTargets'),
			goals: values('goals'),
			preferCompound: compound.checked,
			idempotencyKey: newKey(),
		};
		if (level.value) {
			body.fitnessLevel = level.value;
		}
		submit.disabled = true;
		replace(planBox, loading('Creating your plan'));
		try {
			showPlan(await post('/api/prescription/generate', body));
		} catch (err) {
			replace(planBox);
			const actions = err.code === 'INSUFFICIENT_CREDITS' ? [h('a', { href: '/credits', class: 'btn btn-sm btn-primary', text: 'Get credits' })] : [];
			replace(msg, err.unavailable ? errorBox(err, null, 'The coach') : alertBox(err.message, 'error', actions));
		} finally {
			submit.disabled = false;
		}
	});

	add(root, pageHead('Coach', 'A plan for today that fits your time, place and equipment. Costs 1 credit on the free tier.'),
		h('div', { class: 'grid cols-2 coach-grid' }, card('What do you have today?', form), planBox));

	const id = new URLSearchParams(window.location.search).get('id');
	if (id) {
		replace(planBox, loading());
		get(`/api/prescription/${encodeURIComponent(id)}`).then(showPlan).catch((e) => replace(planBox, errorBox(e, null, 'The coach')));
	}
}
