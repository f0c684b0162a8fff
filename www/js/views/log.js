// Log a workout (contract §4.2, §4.7): pick exercises from the catalog,
// set sets/reps/weight, watch the Training Units preview, save.  Without a
// connection the workout is queued with its idempotency key (outbox.js).

import { h, add, replace, field, select, debounce, todayUtc, fmtNum, uid } from '../dom.js';
import { get, post, newKey, ApiError } from '../api.js';
import { alertBox, card, messageOf, icon, errorBox, toast, pageHead, loading, tipCard } from '../ui.js';
import { muscles, exercises, filterExercises, searchRemote, label } from '../catalog.js';
import { muscleMap } from '../musclemap.js';
import { weightUnit, toKg, fromKg } from '../prefs.js';
import * as outbox from '../outbox.js';

const DRAFT_KEY = 'mm.draft';
const MAX_RESULTS = 40;

function loadDraft() {
	try {
		const d = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null');
		if (d && Array.isArray(d.entries)) {
			return d;
		}
	} catch {
		// A broken draft is dropped.
	}
	return null;
}

let actionCost = null;
async function workoutCost() {
	if (actionCost === null) {
		try {
			const r = await get('/api/economy/actions', { auth: 'none' });
			actionCost = r.actions.find((a) => a.id === 'workout')?.defaultCost ?? 25;
		} catch {
			return 25;
		}
	}
	return actionCost;
}

export default async function logView(root, params, ctx) {
	const [muscleList, catalog] = await Promise.all([muscles(), exercises()]);
	const byId = new Map(catalog.map((e) => [e.id, e]));
	const muscleName = new Map(muscleList.map((m) => [m.id, m.name]));

	// The draft: from a prescription ("Start this workout"), else the one
	// in progress, else empty.
	let draft = loadDraft() || { entries: [], key: newKey(), notes: '', isPublic: true, date: todayUtc() };
	let fromPlan = null;
	const prefill = ctx.state?.prefill || JSON.parse(sessionStorage.getItem('mm.prefill') || 'null');
	if (prefill && Array.isArray(prefill.exercises)) {
		sessionStorage.removeItem('mm.prefill');
		draft = {
			entries: prefill.exercises.filter((e) => byId.has(e.exerciseId)).map((e) => ({
				exerciseId: e.exerciseId, sets: e.sets || 3, reps: /\d\s*s$/.test(String(e.reps)) ? '' : (parseInt(e.reps, 10) || ''), weight: '',
			})),
			key: newKey(), notes: prefill.notes || '', isPublic: true, date: todayUtc(),
		};
		fromPlan = prefill;
		history.replaceState(null, '', location.pathname);
	}
	const save = () => sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
	save();

	const planBanner = fromPlan ? alertBox(`Started from your Coach plan: ${draft.entries.length} exercises, about ${fromPlan.estimatedDuration || '?'} minutes.`, 'info') : null;
	const entitlementBox = h('div', { class: 'entitlement', 'data-entitlement': '' });
	const entriesBox = h('div', { class: 'entries' });
	const previewBox = h('div', { class: 'preview', 'aria-live': 'polite' });
	const resultMsg = h('div', { 'aria-live': 'assertive' });
	const pickerBox = h('div', { id: uid('picker') });
	const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-block', 'aria-controls': pickerBox.id }, icon('plus'), 'Add exercise');
	const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg', 'data-submit': '' , text: 'Save workout' });

	// ------------------------------------------------------------ entitlement

	let ent = null;
	const drawEntitlement = async () => {
		try {
			const [e, cost] = await Promise.all([get('/api/entitlements'), workoutCost()]);
			ent = { ...e, cost };
			if (e.unlimited) {
				const why = e.reason === 'subscription' ? 'Subscription' : `Trial · ${e.daysLeftInTrial} day${e.daysLeftInTrial === 1 ? '' : 's'} left`;
				replace(entitlementBox, h('span', { class: 'chip ok', text: `${why} · unlimited workouts` }));
				submit.textContent = 'Save workout';
			} else {
				const low = e.creditBalance < cost;
				replace(entitlementBox, h('span', { class: low ? 'chip warn' : 'chip', text: `${cost} credits per workout · you have ${e.creditBalance}` }),
					low ? h('a', { href: '/credits', class: 'small', text: ' Get credits' }) : null);
				submit.textContent = `Save workout · ${cost} credits`;
			}
		} catch (e) {
			if (e instanceof ApiError && e.network) {
				replace(entitlementBox, h('span', { class: 'chip warn', text: 'Offline · the workout will be queued' }));
			} else {
				replace(entitlementBox);
			}
		}
	};

	// ------------------------------------------------------------ entries

	const drawEntries = () => {
		if (!draft.entries.length) {
			replace(entriesBox, h('div', { class: 'empty' }, h('p', { text: 'No exercises yet. Search the catalog below and add what you did.' })));
			return;
		}
		const unit = weightUnit();
		replace(entriesBox, h('ol', { class: 'entry-list' }, draft.entries.map((en, i) => {
			const ex = byId.get(en.exerciseId);
			const num = (name, labelText, value, attrs) => {
				const input = h('input', { type: 'number', inputmode: name === 'weight' ? 'decimal' : 'numeric', name, value: value ?? '', ...attrs, 'data-field': name });
				input.addEventListener('input', () => {
					en[name] = input.value === '' ? '' : Number(input.value);
					save();
					schedulePreview();
				});
				return field(labelText, input).wrap;
			};
			const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Remove ${ex?.name || en.exerciseId}` }, icon('x'));
			remove.addEventListener('click', () => {
				draft.entries.splice(i, 1);
				save();
				drawEntries();
				schedulePreview();
			});
			return h('li', { class: 'entry', 'data-exercise': en.exerciseId },
				h('div', { class: 'row entry-head' },
					h('div', null,
						h('strong', { text: ex?.name || en.exerciseId }),
						h('div', { class: 'muted small', text: (ex?.primaryMuscles || []).map((m) => muscleName.get(m) || m).join(', ') })),
					h('span', { class: 'spacer' }), remove),
				h('div', { class: 'entry-fields' },
					num('sets', 'Sets', en.sets, { min: '1', max: '100', step: '1', required: true }),
					num('reps', 'Reps', en.reps, { min: '1', max: '1000', step: '1' }),
					num('weight', `Weight (${unit})`, en.weight, { min: '0', max: unit === 'kg' ? '10000' : '22046', step: 'any' })));
		})));
	};

	const addExercise = (id) => {
		const existing = draft.entries.find((e) => e.exerciseId === id);
		if (existing) {
			existing.sets = Math.min(100, (Number(existing.sets) || 0) + 1);
			toast(`${byId.get(id)?.name}: ${existing.sets} sets`, 'info', 2000);
		} else {
			draft.entries.push({ exerciseId: id, sets: 3, reps: 10, weight: '' });
			toast(`Added ${byId.get(id)?.name}`, 'ok', 1800);
		}
		save();
		drawEntries();
		schedulePreview();
	};

	// ------------------------------------------------------------ body

	const payloadExercises = () => draft.entries.map((en) => {
		const o = { exerciseId: en.exerciseId, sets: Number(en.sets) };
		if (en.reps !== '' && en.reps !== null && en.reps !== undefined) {
			o.reps = Number(en.reps);
		}
		const kg = toKg(en.weight);
		if (kg !== null) {
			o.weight = kg;
		}
		return o;
	});

	const validate = () => {
		if (!draft.entries.length) {
			return 'Add at least one exercise.';
		}
		for (const en of draft.entries) {
			const name = byId.get(en.exerciseId)?.name || en.exerciseId;
			if (!Number.isInteger(Number(en.sets)) || en.sets === '' || en.sets < 1 || en.sets > 100) {
				return `${name}: sets must be a whole number from 1 to 100.`;
			}
			if (en.reps !== '' && en.reps !== null && (!Number.isInteger(Number(en.reps)) || en.reps < 1 || en.reps > 1000)) {
				return `${name}: reps must be a whole number from 1 to 1000.`;
			}
			const kg = toKg(en.weight);
			if (kg !== null && (kg < 0 || kg > 10000)) {
				return `${name}: weight is out of range.`;
			}
		}
		return null;
	};

	// ------------------------------------------------------------ preview

	let previewGen = 0;
	const runPreview = async () => {
		const gen = ++previewGen;
		if (!draft.entries.length) {
			replace(previewBox, h('p', { class: 'muted center', text: 'Add exercises to see which muscles they train.' }),
				muscleMap({ muscles: muscleList, values: {}, size: 'sm', title: 'Workout preview' }));
			return;
		}
		const problem = validate();
		if (problem) {
			replace(previewBox, alertBox(problem, 'warn'));
			return;
		}
		if (!navigator.onLine) {
			replace(previewBox, alertBox('The Training Units preview needs a connection. You can still save: the workout will be sent when you are back online.', 'info'));
			return;
		}
		previewBox.classList.add('is-loading');
		try {
			const r = await post('/api/workouts/preview', { exercises: payloadExercises() });
			if (gen !== previewGen) {
				return;
			}
			const top = Object.entries(r.muscleActivations).sort((a, b) => b[1] - a[1]).slice(0, 3);
			replace(previewBox,
				h('div', { class: 'preview-total' },
					h('span', { class: 'muted small', text: 'Training Units' }),
					h('strong', { 'data-preview-tu': String(r.totalTu), text: fmtNum(r.totalTu) })),
				muscleMap({ muscles: muscleList, values: r.muscleActivations, size: 'sm', title: 'Workout preview' }),
				h('div', { class: 'chips center-chips' }, top.map(([id, v]) => h('span', { class: 'chip', text: `${muscleName.get(id) || id} ${fmtNum(v, 1)}` }))));
		} catch (e) {
			if (gen === previewGen) {
				replace(previewBox, errorBox(e, runPreview, 'The preview'));
			}
		} finally {
			previewBox.classList.remove('is-loading');
		}
	};
	const schedulePreview = debounce(runPreview, 600);

	// ------------------------------------------------------------ picker

	const locations = [...new Set(catalog.flatMap((e) => e.locations || []))].sort();
	const equipment = [...new Set(catalog.flatMap((e) => e.equipmentRequired || []))].sort();
	const search = h('input', { type: 'search', placeholder: 'Search exercises (e.g. push-up, squat)', autocomplete: 'off', 'data-search': '' });
	const loc = select([['', 'Any location'], ...locations.map((l) => [l, label(l)])], '', { 'data-filter': 'location' });
	const eq = select([['', 'Any equipment'], ...equipment.map((x) => [x, label(x)])], '', { 'data-filter': 'equipment' });
	const diff = select([['', 'Any difficulty'], ...[1, 2, 3, 4, 5].map((d) => [String(d), `Difficulty ${d}`])], '', { 'data-filter': 'difficulty' });
	const results = h('ul', { class: 'results', 'aria-label': 'Exercises' });
	const resultCount = h('p', { class: 'muted small', 'aria-live': 'polite' });

	let remoteGen = 0;
	const drawResults = async () => {
		const filters = { search: search.value, location: loc.value, equipment: eq.value, difficulty: diff.value };
		let list = filterExercises(catalog, filters);
		const gen = ++remoteGen;
		const row = (ex) => {
			const add = h('button', { type: 'button', class: 'btn btn-sm btn-primary', 'aria-label': `Add ${ex.name}`, 'data-add': ex.id }, icon('plus'), 'Add');
			add.addEventListener('click', () => addExercise(ex.id));
			return h('li', { class: 'result' },
				h('div', { class: 'result-main' },
					h('strong', { text: ex.name }),
					h('div', { class: 'muted small', text: [
						'●'.repeat(ex.difficulty) + '○'.repeat(Math.max(0, 5 - ex.difficulty)),
						(ex.equipmentRequired || []).length ? ex.equipmentRequired.map(label).join(', ') : 'No equipment',
						(ex.primaryMuscles || []).map((m) => muscleName.get(m) || m).slice(0, 3).join(', '),
					].filter(Boolean).join(' · ') })),
				add);
		};
		const draw = () => {
			replace(results, ...list.slice(0, MAX_RESULTS).map(row));
			resultCount.textContent = list.length
				? (list.length > MAX_RESULTS ? `${list.length} exercises — showing the first ${MAX_RESULTS}; refine the search to see more.` : `${list.length} exercise${list.length === 1 ? '' : 's'}`)
				: 'No exercise matches these filters.';
		};
		draw();
		// Few substring matches: ask the server's fuzzy search as well.
		if (filters.search.trim().length >= 3 && list.length < 3 && navigator.onLine) {
			try {
				const more = await searchRemote(filters);
				if (gen !== remoteGen) {
					return;
				}
				const seen = new Set(list.map((e) => e.id));
				list = list.concat(more.filter((e) => !seen.has(e.id)));
				draw();
			} catch {
				// The local results stand.
			}
		}
	};
	const debouncedResults = debounce(drawResults, 200);
	search.addEventListener('input', debouncedResults);
	for (const sel of [loc, eq, diff]) {
		sel.addEventListener('change', drawResults);
	}
	const setPicker = (open) => {
		pickerBox.hidden = !open;
		toggle.setAttribute('aria-expanded', String(open));
		if (open) {
			drawResults();
		}
	};
	toggle.addEventListener('click', () => {
		const open = pickerBox.hidden;
		setPicker(open);
		if (open) {
			search.focus();
		}
	});
	pickerBox.append(
		h('div', { class: 'picker-search' }, h('label', { class: 'sr-only', for: search.id = uid('q'), text: 'Search exercises' }), search),
		h('div', { class: 'filters' },
			field('Location', loc).wrap, field('Equipment', eq).wrap, field('Difficulty', diff).wrap),
		resultCount, results);

	// ------------------------------------------------------------ details

	const date = h('input', { type: 'date', value: draft.date, max: todayUtc(), 'data-field': 'date' });
	const notes = h('textarea', { maxlength: '2000', rows: '2', placeholder: 'How did it feel?', 'data-field': 'notes' });
	notes.value = draft.notes || '';
	const isPublic = h('input', { type: 'checkbox', checked: draft.isPublic !== false, 'data-field': 'isPublic' });
	date.addEventListener('change', () => { draft.date = date.value; save(); });
	notes.addEventListener('input', () => { draft.notes = notes.value; save(); });
	isPublic.addEventListener('change', () => { draft.isPublic = isPublic.checked; save(); });

	// ------------------------------------------------------------ submit

	const form = h('form', { class: 'log-form', novalidate: true });
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(resultMsg);
		const problem = validate();
		if (problem) {
			replace(resultMsg, alertBox(problem));
			return;
		}
		const body = { exercises: payloadExercises(), isPublic: draft.isPublic !== false, idempotencyKey: draft.key };
		if (draft.date) {
			body.date = draft.date;
		}
		if (draft.notes && draft.notes.trim()) {
			body.notes = draft.notes;
		}
		const queue = () => {
			outbox.enqueue(body);
			sessionStorage.removeItem(DRAFT_KEY);
			showQueued(body);
		};
		if (!navigator.onLine) {
			queue();
			return;
		}
		submit.disabled = true;
		const was = submit.textContent;
		submit.textContent = 'Saving…';
		try {
			const w = await post('/api/workouts', body);
			sessionStorage.removeItem(DRAFT_KEY);
			window.dispatchEvent(new CustomEvent('mm-credits'));
			window.dispatchEvent(new CustomEvent('mm-workouts'));
			await showSaved(w);
		} catch (err) {
			submit.disabled = false;
			submit.textContent = was;
			if (err instanceof ApiError && err.network) {
				queue();
				return;
			}
			const actions = [];
			if (err instanceof ApiError && err.code === 'INSUFFICIENT_CREDITS') {
				actions.push(h('a', { href: '/credits', class: 'btn btn-sm btn-primary', text: 'Get credits' }));
				actions.push(h('a', { href: '/credits#subscription', class: 'btn btn-sm btn-ghost', text: 'Go unlimited' }));
			}
			replace(resultMsg, h('div', { 'data-error': err.code || 'ERROR' }, alertBox(messageOf(err), 'error', actions)));
			resultMsg.scrollIntoView({ block: 'center', behavior: 'smooth' });
			drawEntitlement();
		}
	});

	const showSaved = async (w) => {
		let charge;
		if (w.creditsUsed > 0) {
			let balance = null;
			try {
				balance = (await get('/api/economy/balance')).balance;
			} catch {
				balance = null;
			}
			charge = `${w.creditsUsed} credits charged${balance === null ? '' : ` · ${balance} left`}`;
		} else {
			charge = ent && ent.unlimited
				? `Unlimited (${ent.reason === 'subscription' ? 'subscription' : 'trial'}) · no credits charged`
				: 'Unlimited · no credits charged';
		}
		replace(root,
			h('section', { class: 'card hero saved', 'data-saved': w.id },
				h('p', { class: 'muted small', text: 'Workout saved' }),
				h('h1', { class: 'big-tu' }, h('span', { 'data-total-tu': String(w.totalTu), text: fmtNum(w.totalTu) }), h('small', { text: ' TU' })),
				h('span', { class: w.creditsUsed > 0 ? 'chip' : 'chip ok', 'data-charge': String(w.creditsUsed), text: charge }),
				muscleMap({ muscles: muscleList, values: w.muscleActivations, title: 'Muscles trained in this workout', tableOpen: false }),
				h('div', { class: 'row wrap actions' },
					h('a', { href: `/history/${w.id}`, class: 'btn btn-primary', text: 'View workout' }),
					h('a', { href: '/log', class: 'btn btn-ghost', text: 'Log another' }),
					h('a', { href: '/', class: 'btn btn-ghost', text: 'Back to Today' }))));
		window.scrollTo(0, 0);
		root.focus({ preventScroll: true });
		// A post-workout tip (§10.2), where the tips service runs.
		get('/api/tips/contextual?context=post_workout').then((r) => {
			const tip = r.tips && r.tips[0];
			if (tip && root.querySelector('[data-saved]')) {
				root.appendChild(tipCard(tip));
			}
		}).catch(() => {});
	};

	const showQueued = (body) => {
		replace(root,
			h('section', { class: 'card hero saved', 'data-queued': body.idempotencyKey },
				h('p', { class: 'muted small', text: 'Saved on this device' }),
				h('h1', { text: 'Workout queued' }),
				alertBox('You are offline. This workout will be sent as soon as you reconnect — it will only ever be saved and charged once.', 'info'),
				h('ul', { class: 'list' }, body.exercises.map((x) => h('li', { text: `${byId.get(x.exerciseId)?.name || x.exerciseId}: ${x.sets} × ${x.reps ?? '–'}${x.weight != null ? ` @ ${fromKg(x.weight)} ${weightUnit()}` : ''}` }))),
				h('div', { class: 'row wrap actions' },
					h('a', { href: '/log', class: 'btn btn-primary', text: 'Log another' }),
					h('a', { href: '/', class: 'btn btn-ghost', text: 'Back to Today' }))));
	};

	// ------------------------------------------------------------ failed queue

	const failedBox = h('div');
	const drawFailed = () => {
		const items = outbox.failed();
		replace(failedBox, ...items.map((it) => {
			const dismiss = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', text: 'Dismiss' });
			dismiss.addEventListener('click', () => { outbox.dismissFailed(it.body.idempotencyKey); drawFailed(); });
			return alertBox(`A workout queued offline on ${new Date(it.queuedAt).toLocaleString()} could not be saved: ${it.error}`, 'error', [dismiss]);
		}));
	};
	drawFailed();

	// ------------------------------------------------------------ layout

	form.append(
		card('Details',
			field('Date', date).wrap,
			field('Notes', notes).wrap,
			h('label', { class: 'check' }, isPublic, h('span', { text: 'Share in the community feed' }))),
		resultMsg,
		submit);

	add(root, 
		pageHead('Log workout', null, entitlementBox),
		planBanner, failedBox,
		h('div', { class: 'log-layout' },
			h('div', { class: 'log-main' },
				card('Exercises', entriesBox, toggle, pickerBox)),
			h('aside', { class: 'log-side' },
				h('section', { class: 'card preview-card' }, h('div', { class: 'card-head' }, h('h2', { text: 'Live preview' })), previewBox),
				form)));

	drawEntries();
	setPicker(draft.entries.length === 0);
	replace(previewBox, loading());
	runPreview();
	drawEntitlement();
	const onOnline = () => { drawEntitlement(); schedulePreview(); };
	window.addEventListener('online', onOnline);
	window.addEventListener('offline', onOnline);
	return () => {
		schedulePreview.cancel();
		window.removeEventListener('online', onOnline);
		window.removeEventListener('offline', onOnline);
	};
}
