// Journey (contract §6): the chosen archetype and its levels, this week's
// progress and muscle balance, and the archetype picker.

import { h, add, replace, fmtNum, fmtDate } from '../dom.js';
import { get, post, session } from '../api.js';
import { pageHead, asyncSection, card, alertBox, messageOf, stat, toast } from '../ui.js';
import { journeyCard } from './today.js';
import { label } from '../catalog.js';

export default async function journey(root) {
	const welcome = new URLSearchParams(location.search).get('welcome');
	const current = h('div');
	const week = h('div');
	const levels = h('div');
	const picker = h('div');
	const msg = h('div', { 'aria-live': 'polite' });
	add(root, pageHead('Journey', 'Choose what you train for; every Training Unit moves you up its levels.'),
		welcome ? alertBox('Welcome to MuscleMap! Pick the archetype that fits you best — you can change it any time.', 'info') : null,
		msg, current,
		h('div', { class: 'grid cols-2 journey-grid' }, card('This week', week), card('Levels', levels)),
		card('Archetypes', picker));

	let journeyData = null;
	const journeyP = get('/api/journey');
	journeyP.catch(() => {});
	asyncSection(current, () => journeyP, (j) => {
		journeyData = j;
		drawLevels();
		return journeyCard(j);
	}, 'Your journey');

	const drawLevels = () => {
		const j = journeyData;
		if (!j || !j.archetype) {
			replace(levels, h('p', { class: 'muted', text: 'Choose an archetype to see its levels.' }));
			return;
		}
		asyncSection(levels, () => get(`/api/archetypes/${encodeURIComponent(j.archetype.id)}/levels`, { auth: 'none' }), (ls) =>
			h('ol', { class: 'levels' }, ls.map((l) => h('li', {
				class: l.level === j.level ? 'level current' : (l.level < j.level ? 'level done' : 'level'),
				'aria-current': l.level === j.level ? 'step' : null,
			},
			h('span', { class: 'level-num', text: String(l.level) }),
			h('div', null, h('strong', { text: l.name }), h('div', { class: 'muted small', text: `${fmtNum(l.totalTu, 0)} TU · ${l.description}` }))))), 'The levels');
	};

	asyncSection(week, () => get('/api/journey/progress'), (p) => {
		const groups = Object.entries(p.weeklyProgress.muscleActivations || {}).sort((a, b) => b[1] - a[1]);
		const max = Math.max(1, ...groups.map(([, v]) => v));
		const bars = h('ul', { class: 'bars' }, groups.map(([g, v]) => {
			const fill = h('span');
			fill.style.width = `${Math.max(3, (v / max) * 100)}%`;
			return h('li', null, h('span', { class: 'bar-label', text: g }), h('span', { class: 'bar' }, fill), h('span', { class: 'num small', text: fmtNum(v, 0) }));
		}));
		const bal = p.muscleBalance;
		const chipList = (title, items, cls) => items.length ? h('div', { class: 'balance-row' }, h('span', { class: 'muted small', text: title }), h('div', { class: 'chips' }, items.map((g) => h('span', { class: `chip ${cls}`, text: g })))) : null;
		return [
			h('p', { class: 'muted small', text: `Week of ${fmtDate(p.weeklyProgress.weekStart)}` }),
			h('div', { class: 'grid stats' },
				stat(String(p.weeklyProgress.workouts), 'Workouts'),
				stat(fmtNum(p.weeklyProgress.totalTu, 0), 'TU'),
				stat(`${p.streak} d`, 'Streak')),
			groups.length ? bars : h('p', { class: 'muted', text: 'No training this week yet.' }),
			chipList('Overworked', bal.overworked, 'warn'),
			chipList('Underworked', bal.underworked, ''),
			chipList('Balanced', bal.balanced, 'ok'),
		];
	}, 'Weekly progress');

	const settled = journeyP.catch(() => null);
	asyncSection(picker, async () => { await settled; return get('/api/archetypes', { auth: 'none' }); }, (list) => h('div', { class: 'archetypes' }, list.map((a) => {
		const isCurrent = journeyData?.archetype?.id === a.id || session.get()?.user?.currentArchetypeId === a.id;
		const btn = h('button', { type: 'button', class: isCurrent ? 'btn btn-ghost btn-sm' : 'btn btn-primary btn-sm', disabled: isCurrent, text: isCurrent ? 'Current' : `Choose ${a.name}`, 'data-choose': a.id });
		btn.addEventListener('click', async () => {
			btn.disabled = true;
			replace(msg);
			try {
				const r = await post('/api/journey/select-archetype', { archetypeId: a.id });
				const s = session.get();
				if (s?.user) {
					session.set({ user: { ...s.user, currentArchetypeId: a.id, currentLevel: r.level } });
				}
				toast(`You are on the ${r.archetype.name} journey: level ${r.level}, ${r.levelName}`, 'ok');
				if (welcome) {
					history.replaceState(null, '', '/journey');
				}
				replace(root);
				journey(root);
			} catch (e) {
				btn.disabled = false;
				replace(msg, alertBox(messageOf(e)));
			}
		});
		return h('article', { class: isCurrent ? 'archetype current' : 'archetype', 'data-archetype': a.id },
			h('h3', { text: a.name }),
			h('p', { class: 'archetype-philosophy', text: a.philosophy }),
			h('p', { class: 'muted small', text: a.description }),
			h('div', { class: 'chips' }, (a.focusAreas || []).map((f) => h('span', { class: 'chip', text: label(f) }))),
			h('div', { class: 'archetype-foot' }, btn));
	})), 'Archetypes');
}
