// Sign up and sign in (contract §2.1, §2.2).

import { h, replace, field } from '../dom.js';
import { register, login } from '../api.js';
import { alertBox, messageOf } from '../ui.js';
import { brandMark } from '../brand.js';
import { muscleMap } from '../musclemap.js';
import { muscles } from '../catalog.js';
import { navigate, signedIn } from '../app.js';

const SAMPLE = {
	'chest-mid': 11.7, 'chest-upper': 8, 'chest-lower': 7.5, 'triceps-lateral': 22.5, 'triceps-long': 12,
	'delt-front': 15, serratus: 15, 'quad-rectus': 9, 'quad-vastus-lat': 6, 'glute-max': 10, 'lats': 4,
};

export default async function welcome(root) {
	const params = new URLSearchParams(location.search);
	let mode = params.get('mode') === 'signup' ? 'signup' : 'signin';

	const art = h('div', { class: 'welcome-art', 'aria-hidden': 'true' });
	muscles().then((list) => {
		replace(art, muscleMap({ muscles: list, values: SAMPLE, size: 'sm', views: ['front'], title: 'Example muscle map' }));
	}).catch(() => {});

	const msg = h('div', { 'aria-live': 'assertive' });
	const formBox = h('div');
	const tabIn = h('button', { type: 'button', role: 'tab', id: 'tab-signin', 'aria-controls': 'auth-form', text: 'Sign in' });
	const tabUp = h('button', { type: 'button', role: 'tab', id: 'tab-signup', 'aria-controls': 'auth-form', text: 'Create account' });

	const draw = () => {
		tabIn.setAttribute('aria-selected', String(mode === 'signin'));
		tabUp.setAttribute('aria-selected', String(mode === 'signup'));
		replace(msg);
		const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, maxlength: '254' });
		const password = h('input', {
			type: 'password', name: 'password', required: true, minlength: mode === 'signup' ? '8' : null, maxlength: '128',
			autocomplete: mode === 'signup' ? 'new-password' : 'current-password',
		});
		const fields = [field('Email', email).wrap];
		let username = null;
		let displayName = null;
		if (mode === 'signup') {
			username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, minlength: '3', maxlength: '30', pattern: '[A-Za-z0-9_]{3,30}' });
			displayName = h('input', { type: 'text', name: 'displayName', autocomplete: 'name', maxlength: '100' });
			fields.push(field('Username', username, '3–30 letters, digits or _').wrap);
			fields.push(field('Display name (optional)', displayName).wrap);
		}
		fields.push(field('Password', password, mode === 'signup' ? 'At least 8 characters' : null).wrap);
		const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', text: mode === 'signup' ? 'Create account' : 'Sign in' });
		const form = h('form', { id: 'auth-form', role: 'tabpanel', 'aria-labelledby': mode === 'signup' ? 'tab-signup' : 'tab-signin', novalidate: true }, fields, submit);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			replace(msg);
			if (!form.checkValidity()) {
				const bad = form.querySelector(':invalid');
				const label = bad ? form.querySelector(`label[for="${bad.id}"]`)?.textContent : '';
				replace(msg, alertBox(`${label ? label + ': ' : ''}${bad?.validationMessage || 'Please check the form.'}`));
				bad?.focus();
				return;
			}
			submit.disabled = true;
			submit.textContent = mode === 'signup' ? 'Creating your account…' : 'Signing in…';
			try {
				if (mode === 'signup') {
					const body = { email: email.value.trim(), username: username.value.trim(), password: password.value };
					if (displayName.value.trim()) {
						body.displayName = displayName.value.trim();
					}
					await register(body);
				} else {
					await login(email.value.trim(), password.value);
				}
				signedIn();
				const next = params.get('next');
				navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : (mode === 'signup' ? '/journey?welcome=1' : '/'), { replace: true });
			} catch (err) {
				replace(msg, alertBox(messageOf(err)));
				submit.disabled = false;
				submit.textContent = mode === 'signup' ? 'Create account' : 'Sign in';
			}
		});
		replace(formBox, form);
	};
	tabIn.addEventListener('click', () => { mode = 'signin'; draw(); });
	tabUp.addEventListener('click', () => { mode = 'signup'; draw(); });
	draw();

	root.appendChild(h('div', { class: 'welcome' },
		h('div', { class: 'welcome-inner' },
			h('div', { class: 'welcome-hero' },
				h('div', { class: 'brand' }, brandMark(), h('span', { class: 'brand-name' }, 'Muscle', h('span', { text: 'Map' }))),
				h('h1', { text: 'See every muscle you train.' }),
				h('p', { text: 'Log a workout and MuscleMap shows which of your 44 muscles did the work, how far your journey has come, and what your friends are lifting right now.' }),
				art,
				h('ul', { class: 'feature-list' },
					h('li', { text: '90-day free trial with unlimited workouts' }),
					h('li', { text: 'Works offline — syncs when you reconnect' }),
					h('li', { text: 'Live community feed and messages' }))),
			h('div', { class: 'card' },
				h('div', { class: 'seg', role: 'tablist', 'aria-label': 'Sign in or create an account' }, tabIn, tabUp),
				msg,
				formBox))));
}
