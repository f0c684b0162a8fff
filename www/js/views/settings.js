// Settings (contract §2.5, §11.1): profile, units, theme, privacy,
// notifications, and signing out.

import { h, add, replace, field, select } from '../dom.js';
import { get, put, logout } from '../api.js';
import { pageHead, card, alertBox, messageOf, asyncSection, icon, toast } from '../ui.js';
import { settings, loadSettings, saveSettings } from '../prefs.js';

export default async function settingsView(root) {
	const profileBox = h('div');
	const prefsBox = h('div');
	const msg = h('div', { 'aria-live': 'polite' });

	const out = h('button', { type: 'button', class: 'btn btn-danger btn-block', 'data-signout': '' }, icon('logout'), 'Sign out');
	out.addEventListener('click', async () => {
		out.disabled = true;
		await logout();
	});

	add(root, pageHead('Settings'), msg,
		card('Profile', profileBox),
		card('Preferences', prefsBox),
		h('div', { class: 'card' }, out));

	asyncSection(profileBox, () => get('/api/profile'), (p) => {
		const name = h('input', { type: 'text', maxlength: '100', value: p.displayName || '', autocomplete: 'name' });
		const avatar = h('input', { type: 'url', maxlength: '2048', value: p.avatarUrl || '', placeholder: 'https://…' });
		const status = h('div', { 'aria-live': 'polite' });
		const form = h('form', { novalidate: true },
			h('p', { class: 'muted small', text: `@${p.username} · ${p.email}` }),
			field('Display name', name).wrap,
			field('Avatar URL', avatar, 'An http:// or https:// address of a picture').wrap,
			status,
			h('button', { type: 'submit', class: 'btn btn-primary', text: 'Save profile' }));
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			replace(status);
			const btn = form.querySelector('button[type=submit]');
			btn.disabled = true;
			try {
				await put('/api/profile', {
					displayName: name.value.trim() ? name.value.trim() : null,
					avatarUrl: avatar.value.trim() ? avatar.value.trim() : null,
				});
				replace(status, alertBox('Profile saved.', 'ok'));
			} catch (err) {
				replace(status, alertBox(messageOf(err)));
			} finally {
				btn.disabled = false;
			}
		});
		return form;
	}, 'Your profile');

	const drawPrefs = (remote) => {
		const s = settings();
		const save = async (partial, what) => {
			try {
				const r = await saveSettings(partial);
				toast(r.remote ? `${what} saved` : `${what} saved on this device`, 'ok', 2000);
			} catch (err) {
				replace(msg, alertBox(messageOf(err)));
				drawPrefs(remote);
			}
		};
		const unit = select([['lbs', 'Pounds (lbs)'], ['kg', 'Kilograms (kg)']], s.preferences.weightUnit, { 'data-setting': 'weightUnit' });
		unit.addEventListener('change', () => save({ preferences: { weightUnit: unit.value } }, 'Units'));
		const theme = select([['dark', 'Dark'], ['light', 'Light']], s.preferences.theme, { 'data-setting': 'theme' });
		theme.addEventListener('change', () => save({ preferences: { theme: theme.value } }, 'Theme'));
		const toggle = (section, key, text) => {
			const cb = h('input', { type: 'checkbox', checked: Boolean(s[section][key]), 'data-setting': `${section}.${key}` });
			cb.addEventListener('change', () => save({ [section]: { [key]: cb.checked } }, 'Setting'));
			return h('label', { class: 'check' }, cb, h('span', { text }));
		};
		replace(prefsBox,
			remote ? null : alertBox('These settings are kept on this device until your account settings are available on the server.', 'info'),
			h('div', { class: 'grid cols-2' }, field('Weight unit', unit).wrap, field('Theme', theme).wrap),
			h('h3', { text: 'Privacy' }),
			toggle('privacy', 'showInFeed', 'Show my workouts in the community feed'),
			toggle('privacy', 'publicProfile', 'Show my name on shared activity'),
			toggle('privacy', 'shareLocation', 'Share my region for presence'),
			h('h3', { text: 'Notifications' }),
			toggle('notifications', 'workoutReminders', 'Workout reminders'),
			toggle('notifications', 'email', 'Email'),
			toggle('notifications', 'push', 'Push notifications'));
	};
	drawPrefs(true);
	loadSettings().then((r) => drawPrefs(r.remote)).catch((e) => replace(msg, alertBox(messageOf(e))));
}
