// The person's settings (contract §11.1): kept on the server when the
// settings endpoint answers, mirrored in localStorage so the theme and
// units apply at once on the next visit (and offline).

import { get, patch, ApiError } from './api.js';

const KEY = 'mm.settings';

export const DEFAULTS = {
	notifications: { email: true, push: true, workoutReminders: true },
	privacy: { shareLocation: false, showInFeed: true, publicProfile: true },
	preferences: { weightUnit: 'lbs', theme: 'dark' },
};

function merge(base, over) {
	const out = structuredClone(base);
	for (const [sec, vals] of Object.entries(over || {})) {
		if (vals && typeof vals === 'object' && out[sec]) {
			Object.assign(out[sec], vals);
		}
	}
	return out;
}

let current = merge(DEFAULTS, JSON.parse(localStorage.getItem(KEY) || '{}'));
const listeners = new Set();

function store(s) {
	current = merge(DEFAULTS, s);
	localStorage.setItem(KEY, JSON.stringify(current));
	applyTheme();
	for (const fn of listeners) {
		fn(current);
	}
	return current;
}

export function settings() {
	return current;
}

export function onSettings(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}

export function applyTheme() {
	const theme = current.preferences.theme === 'light' ? 'light' : 'dark';
	document.documentElement.dataset.theme = theme;
	const meta = document.querySelector('meta[name="theme-color"]');
	if (meta) {
		meta.setAttribute('content', theme === 'light' ? '#f3f5fa' : '#0b1019');
	}
}

// Loads the server's copy; resolves to {settings, remote: bool}.
export async function loadSettings() {
	try {
		const s = await get('/api/settings');
		store(s);
		return { settings: current, remote: true };
	} catch (e) {
		if (e instanceof ApiError && (e.unavailable || e.network)) {
			return { settings: current, remote: false };
		}
		throw e;
	}
}

// Saves a partial document.  When the server has no settings endpoint yet,
// the change is kept on this device only and remote is false.
export async function saveSettings(partial) {
	try {
		const res = await patch('/api/settings', partial);
		store(res.settings);
		return { settings: current, remote: true };
	} catch (e) {
		if (e instanceof ApiError && e.unavailable) {
			store(merge(current, partial));
			return { settings: current, remote: false };
		}
		throw e;
	}
}

// Weights are stored in kilograms; shown in the chosen unit.
const LB_PER_KG = 2.2046226218;

export function weightUnit() {
	return current.preferences.weightUnit === 'kg' ? 'kg' : 'lbs';
}

export function toKg(v) {
	if (v === '' || v === null || v === undefined || Number.isNaN(Number(v))) {
		return null;
	}
	const n = Number(v);
	return weightUnit() === 'kg' ? n : Math.round((n / LB_PER_KG) * 100) / 100;
}

export function fromKg(kg) {
	if (kg === null || kg === undefined) {
		return null;
	}
	const n = weightUnit() === 'kg' ? kg : kg * LB_PER_KG;
	return Math.round(n * 10) / 10;
}

export function fmtWeight(kg) {
	const v = fromKg(kg);
	return v === null ? '' : `${v} ${weightUnit()}`;
}

applyTheme();
