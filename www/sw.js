// MuscleMap service worker: keeps the app shell (HTML, CSS, modules, icons)
// and the public catalog in a cache so the app opens and the workout logger
// works without a connection.  Network first, cache as the fallback, so a
// new release is picked up at once when online.  Authenticated API calls
// are never cached or intercepted: the page sends them (or queues workouts
// itself when offline).

const CACHE = 'mm-shell-v1';

// Every file of the app shell; tests/browser checks this list against www/.
const SHELL = [
	'/',
	'/index.html',
	'/manifest.json',
	'/css/app.css',
	'/icons/icon.svg',
	'/icons/icon-192.png',
	'/icons/icon-512.png',
	'/icons/icon-maskable-512.png',
	'/js/api.js',
	'/js/app.js',
	'/js/body.js',
	'/js/brand.js',
	'/js/catalog.js',
	'/js/dom.js',
	'/js/musclemap.js',
	'/js/outbox.js',
	'/js/prefs.js',
	'/js/realtime.js',
	'/js/ui.js',
	'/js/views/coach.js',
	'/js/views/community.js',
	'/js/views/conversation.js',
	'/js/views/credits.js',
	'/js/views/goals.js',
	'/js/views/history.js',
	'/js/views/journey.js',
	'/js/views/log.js',
	'/js/views/map.js',
	'/js/views/messages.js',
	'/js/views/more.js',
	'/js/views/settings.js',
	'/js/views/today.js',
	'/js/views/welcome.js',
	'/js/views/workout.js',
];

// Public reference data worth having offline.
const CATALOG = ['/api/muscles', '/api/exercises'];

self.addEventListener('install', (event) => {
	event.waitUntil((async () => {
		const cache = await caches.open(CACHE);
		// One missing file must not stop the rest from being cached.
		await Promise.all(SHELL.concat(CATALOG).map((url) =>
			cache.add(new Request(url, { cache: 'reload' })).catch(() => {})));
		await self.skipWaiting();
	})());
});

self.addEventListener('activate', (event) => {
	event.waitUntil((async () => {
		for (const key of await caches.keys()) {
			if (key !== CACHE) {
				await caches.delete(key);
			}
		}
		await self.clients.claim();
	})());
});

async function networkFirst(request, fallbackUrl) {
	const cache = await caches.open(CACHE);
	try {
		const res = await fetch(request);
		if (res.ok && res.type === 'basic') {
			cache.put(fallbackUrl || request, res.clone());
		}
		return res;
	} catch (err) {
		const hit = await cache.match(fallbackUrl || request, { ignoreSearch: !fallbackUrl });
		if (hit) {
			return hit;
		}
		throw err;
	}
}

self.addEventListener('fetch', (event) => {
	const req = event.request;
	if (req.method !== 'GET') {
		return;
	}
	const url = new URL(req.url);
	if (url.origin !== self.location.origin) {
		return;
	}
	if (url.pathname.startsWith('/api/')) {
		if (CATALOG.includes(url.pathname) && !url.search) {
			event.respondWith(networkFirst(req));
		}
		return;
	}
	if (req.mode === 'navigate') {
		event.respondWith(networkFirst(req, '/index.html').catch(() => caches.match('/index.html')));
		return;
	}
	event.respondWith(networkFirst(req));
});
