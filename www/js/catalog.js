// The catalog (contract §3): muscles and exercises, loaded once per visit
// and kept in localStorage so the workout logger works offline too.  The
// unfiltered lists are served by nginx from pre-rendered files, so loading
// them costs no API request budget.

import { get } from './api.js';

const cache = {};

async function load(key, path) {
	if (cache[key]) {
		return cache[key];
	}
	cache[key] = (async () => {
		try {
			const data = await get(path, { auth: 'none' });
			try {
				localStorage.setItem(`mm.cat.${key}`, JSON.stringify(data));
			} catch {
				// Storage full: the in-memory copy still works.
			}
			return data;
		} catch (e) {
			const saved = localStorage.getItem(`mm.cat.${key}`);
			if (saved) {
				return JSON.parse(saved);
			}
			delete cache[key];
			throw e;
		}
	})();
	return cache[key];
}

export const muscles = () => load('muscles', '/api/muscles');
export const exercises = () => load('exercises', '/api/exercises');

export async function exerciseMap() {
	return new Map((await exercises()).map((e) => [e.id, e]));
}

// Filters as GET /api/exercises does (§3.2): location and equipment are
// "contains", difficulty is exact, search is a case-insensitive substring.
export function filterExercises(list, { location, equipment, difficulty, search }) {
	const q = (search || '').trim().toLowerCase();
	return list.filter((e) =>
		(!location || (e.locations || []).includes(location)) &&
		(!equipment || (e.equipmentRequired || []).includes(equipment)) &&
		(!difficulty || e.difficulty === Number(difficulty)) &&
		(!q || e.name.toLowerCase().includes(q)));
}

// Fuzzy search through the API (pg_trgm) for when a substring finds little.
export async function searchRemote(filters) {
	const p = new URLSearchParams();
	for (const k of ['location', 'equipment', 'difficulty', 'search']) {
		if (filters[k]) {
			p.set(k, filters[k]);
		}
	}
	return get(`/api/exercises?${p}`, { auth: 'none' });
}

const activationCache = new Map();

export async function activations(exerciseId) {
	if (!activationCache.has(exerciseId)) {
		const p = get(`/api/exercises/${encodeURIComponent(exerciseId)}/activations`, { auth: 'none' });
		activationCache.set(exerciseId, p);
		p.catch(() => activationCache.delete(exerciseId));
	}
	return activationCache.get(exerciseId);
}

export function label(id) {
	return String(id || '').replace(/[_-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}
