// Browser tests of the web app against the running stack, in headless
// Chromium.  `node run.js [FILTER]` runs the tests whose name contains
// FILTER.  Tests of areas whose endpoints are not deployed yet print
// "SKIP <name>: endpoint not deployed" and count as skipped, not passed.
// Ends with "N passed, N failed, N skipped"; exits non-zero on failure.

import fs from 'node:fs';
import path from 'node:path';
import {
	BASE, ROOT, SHOTS, PHONE, DESKTOP, Skip, assert, eq, sleep, psql, createUser, makeBroke, makeToken,
	nodeGet, nodeRequest, requireDeployed, launch, newContext, newPage, noProblems, signIn, shot, regionFill,
	ensureBudget, unique, budget,
} from './lib.js';

const tests = [];
// needs: endpoints of areas that may not be deployed yet; the test is
// skipped (not passed) while one of them is missing.
function test(name, fn, { budget = 25, needs = [] } = {}) {
	tests.push({ name, fn, budget, needs });
}

const log = (...a) => console.log(...a);

// ------------------------------------------------------------ helpers

async function muscleCatalog() {
	const r = await nodeGet('/api/muscles');
	return r.json;
}

// Adds an exercise in the logger through the search box.
async function addExercise(page, query, id) {
	// The logger has rendered once its submit button is there.
	await page.locator('[data-submit]').waitFor();
	const picker = page.locator('[data-search]');
	if (!(await picker.isVisible())) {
		await page.getByRole('button', { name: 'Add exercise' }).click();
	}
	await picker.fill(query);
	await page.locator(`[data-add="${id}"]`).click();
	await page.locator(`.entry[data-exercise="${id}"]`).waitFor();
}

async function setSets(page, id, sets) {
	await page.locator(`.entry[data-exercise="${id}"] input[data-field="sets"]`).fill(String(sets));
}

async function untrainedFill(page, scope) {
	// A muscle that a push-up never touches.
	return regionFill(page, 'gastrocnemius', scope);
}

async function expectShaded(page, scope, trained, untrained = ['gastrocnemius', 'hamstring-bicep']) {
	const base = await regionFill(page, untrained[0], scope);
	for (const m of untrained) {
		eq(await regionFill(page, m, scope), base, `fill of untrained ${m}`);
	}
	for (const m of trained) {
		const f = await regionFill(page, m, scope);
		assert(f && f !== base, `${m} should be shaded (fill ${f}, untrained ${base})`);
		const v = Number(await page.locator(`${scope} [data-muscle="${m}"]`).first().getAttribute('data-value'));
		assert(v > 0, `${m} has a positive data-value (${v})`);
	}
}

function workoutsOf(userId) {
	return Number(psql("SELECT count(*) FROM workouts WHERE user_id = :'p1';", userId)[0][0]);
}

function chargesOf(userId) {
	return Number(psql("SELECT count(*) FROM credit_ledger WHERE user_id = :'p1' AND action = 'workout';", userId)[0][0]);
}

function balanceOf(userId) {
	return Number(psql("SELECT balance FROM credit_balances WHERE user_id = :'p1';", userId)[0][0]);
}

async function waitFor(fn, what, ms = 10000) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		try {
			last = await fn();
			if (last) {
				return last;
			}
		} catch (e) {
			last = e;
		}
		await sleep(200);
	}
	throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

// ------------------------------------------------------------ static checks

test('app shell: service worker caches every file, no inline code', async () => {
	const www = path.join(ROOT, 'www');
	const files = [];
	const walk = (d) => {
		for (const f of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, f.name);
			if (f.isDirectory()) {
				walk(p);
			} else if (/\.(js|css|html|json|png|svg)$/.test(f.name)) {
				files.push('/' + path.relative(www, p));
			}
		}
	};
	walk(www);
	const sw = fs.readFileSync(path.join(www, 'sw.js'), 'utf8');
	const listed = new Set([...sw.matchAll(/^\t'(\/[^']*)',$/gm)].map((m) => m[1]));
	// sw.js caches itself implicitly; the maskable SVG is only the source
	// of its PNG; /docs/ is the API reference page, not part of the app.
	const wanted = files.filter((f) => f !== '/sw.js' && f !== '/icons/icon-maskable.svg' &&
	    !f.startsWith('/docs/'));
	for (const f of wanted) {
		assert(listed.has(f), `sw.js SHELL lists ${f}`);
	}
	for (const f of listed) {
		assert(f === '/' || files.includes(f), `sw.js lists ${f}, which exists`);
	}
	const html = fs.readFileSync(path.join(www, 'index.html'), 'utf8');
	assert(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'index.html has no inline script');
	assert(!/\sstyle=/.test(html) && !/<style/.test(html), 'index.html has no inline style');
	for (const f of files.filter((x) => x.endsWith('.js'))) {
		const src = fs.readFileSync(path.join(www, f), 'utf8');
		assert(!/innerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/.test(src), `${f} builds no HTML from strings`);
		assert(!/setAttribute\(\s*'style'/.test(src), `${f} sets no style attribute`);
	}
	const manifest = JSON.parse(fs.readFileSync(path.join(www, 'manifest.json'), 'utf8'));
	eq(manifest.display, 'standalone', 'manifest display');
	assert(manifest.icons.some((i) => i.sizes === '512x512') && manifest.icons.some((i) => i.sizes === '192x192'), 'manifest has 192 and 512 icons');
	const page = await nodeGet('/history/anything');
	eq(page.status, 200, 'client routes serve index.html');
	assert(page.headers['content-security-policy']?.includes("script-src 'self'"), 'strict CSP on the app');
}, { budget: 0 });

// ------------------------------------------------------------ the main path

test('sign up, log a workout, see the muscle map and the history', async ({ browser }) => {
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await page.goto(`${BASE}/`);
	await page.waitForURL(/\/welcome/);
	await page.getByRole('tab', { name: 'Create account' }).click();
	const username = unique('w_');
	await page.getByLabel('Email').fill(`${username}@example.test`);
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Display name (optional)').fill('Wren Tester');
	await page.getByLabel('Password').fill('correct horse battery');
	await page.locator('.welcome-art svg').first().waitFor();
	await shot(page, '01-welcome');
	await page.getByRole('button', { name: 'Create account' }).last().click();
	await page.waitForURL((u) => !u.pathname.startsWith('/welcome'));
	const session = await page.evaluate(() => JSON.parse(localStorage.getItem('mm.session')));
	assert(session.token && session.refreshToken && session.user.id.startsWith('user_'), 'session stored after sign-up');
	const userId = session.user.id;

	// Log 3 sets of push-ups: the preview and the saved workout give the
	// contract's worked example (§4.1), 91.67 TU.
	await page.goto(`${BASE}/log`);
	await page.locator('[data-entitlement] .chip').waitFor();
	assert(/unlimited/i.test(await page.locator('[data-entitlement]').innerText()), 'a new account is on the unlimited trial');
	await addExercise(page, 'push-up', 'bw-pushup');
	await setSets(page, 'bw-pushup', 3);
	await page.locator('.entry[data-exercise="bw-pushup"] input[data-field="reps"]').fill('12');
	const preview = page.locator('[data-preview-tu]');
	await waitFor(async () => (await preview.count()) && (await preview.getAttribute('data-preview-tu')) === '91.67', 'the preview to show 91.67 TU');
	await expectShaded(page, '.preview', ['chest-mid', 'triceps-lateral', 'delt-front']);
	await shot(page, '02-log-preview');
	await page.locator('[data-submit]').click();
	const saved = page.locator('[data-saved]');
	await saved.waitFor();
	const workoutId = await saved.getAttribute('data-saved');
	eq(await page.locator('[data-total-tu]').getAttribute('data-total-tu'), '91.67', 'saved total TU');
	eq(await page.locator('[data-charge]').getAttribute('data-charge'), '0', 'no credits charged on the trial');
	assert(/unlimited/i.test(await page.locator('[data-charge]').innerText()), 'the charge says unlimited');
	await expectShaded(page, '[data-saved]', ['chest-mid', 'triceps-lateral', 'delt-front', 'serratus']);
	await shot(page, '03-workout-saved');
	eq(workoutsOf(userId), 1, 'one workout stored');

	// Every catalog muscle has a region, and the table says the same.
	const catalog = await muscleCatalog();
	const ids = new Set(await page.locator('[data-saved] svg [data-muscle]').evaluateAll((els) => els.map((e) => e.dataset.muscle)));
	eq(catalog.filter((m) => !ids.has(m.id)).map((m) => m.id), [], 'muscles without a region');
	eq(ids.size, catalog.length, 'regions cover exactly the catalog');
	await page.locator('[data-saved] .mm-table-wrap summary').click();
	const row = page.locator('[data-saved] .mm-table tr[data-muscle="triceps-lateral"]');
	assert((await row.innerText()).includes('22.5'), 'the table lists Triceps Lateral Head with 22.5 TU');
	// Hovering a region shows its value.
	await page.locator('[data-saved] svg[data-view="front"] [data-muscle="chest-mid"] path').first().hover();
	await page.locator('.mm-tip:not([hidden])').waitFor();
	assert((await page.locator('.mm-tip').innerText()).includes('11.67'), 'tooltip shows the chest value');

	// History lists it with its map; the detail shows the exercises.
	await page.getByRole('link', { name: 'View workout' }).click();
	await page.waitForURL(`**/history/${workoutId}`);
	await page.locator('[data-exercise="bw-pushup"]').waitFor();
	await expectShaded(page, 'main', ['chest-mid', 'triceps-lateral', 'delt-front']);
	await shot(page, '04-workout-detail');
	await page.goto(`${BASE}/history`);
	const item = page.locator(`.history-item[data-workout="${workoutId}"]`);
	await item.waitFor();
	await expectShaded(page, `.history-item[data-workout="${workoutId}"]`, ['chest-mid', 'triceps-lateral', 'delt-front']);
	await shot(page, '05-history');

	// The week's map on Today and on the map screen.
	await page.goto(`${BASE}/`);
	await page.locator('.today-grid .musclemap').waitFor();
	await expectShaded(page, '.today-grid', ['chest-mid', 'triceps-lateral', 'delt-front']);
	await shot(page, '06-today');
	await page.goto(`${BASE}/map`);
	await page.locator('main .musclemap').waitFor();
	await expectShaded(page, 'main', ['chest-mid', 'triceps-lateral', 'delt-front']);
	await shot(page, '07-map-week');

	// Stay signed in across a reload; sign out; sign in again.
	await page.reload();
	await page.locator('main .musclemap').waitFor();
	assert(!page.url().includes('/welcome'), 'still signed in after a reload');
	await page.goto(`${BASE}/settings`);
	await page.locator('[data-signout]').click();
	await page.waitForURL(/\/welcome/);
	eq(await page.evaluate(() => localStorage.getItem('mm.session')), null, 'session cleared on sign-out');
	const revoked = psql("SELECT count(*) FROM refresh_tokens WHERE user_id = :'p1' AND revoked_at IS NOT NULL;", userId)[0][0];
	eq(revoked, '1', 'sign-out revoked the refresh token');
	await page.getByLabel('Email').fill(`${username.toUpperCase()}@example.test`);
	await page.getByLabel('Password').fill('correct horse battery');
	await page.getByRole('button', { name: 'Sign in' }).last().click();
	await page.waitForURL((u) => !u.pathname.startsWith('/welcome'));
	await page.locator('h1').filter({ hasText: 'Wren Tester' }).waitFor();
	noProblems(page);
	await ctx.close();
}, { budget: 55 });

// ------------------------------------------------------------ sessions

test('an expired or rejected access token is refreshed once and the request retried', async ({ browser }) => {
	const u = createUser();
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	// Expired: refreshed before the first request.
	const expired = { ...u, token: makeToken(u.id, 60, Math.floor(Date.now() / 1000) - 3600) };
	await signIn(page, expired, '/history');
	await page.locator('main .empty').waitFor();
	let s = await page.evaluate(() => JSON.parse(localStorage.getItem('mm.session')));
	assert(s.token !== expired.token && s.refreshToken !== u.refreshToken, 'tokens rotated');
	assert(!page.url().includes('/welcome'), 'still signed in');
	// Not expired but refused by the server (401): one refresh, one retry.
	const refreshes = [];
	page.on('request', (r) => { if (r.url().endsWith('/api/auth/refresh')) refreshes.push(r); });
	await page.evaluate((exp) => {
		const cur = JSON.parse(localStorage.getItem('mm.session'));
		const [hd, body] = cur.token.split('.');
		cur.token = `${hd}.${body}.invalidsignature`;
		cur.exp = exp;
		localStorage.setItem('mm.session', JSON.stringify(cur));
	}, Math.floor(Date.now() / 1000) + 3000);
	await page.goto(`${BASE}/credits`);
	await page.locator('section[data-balance]').waitFor();
	eq(refreshes.length, 1, 'refresh requests after a 401');
	s = await page.evaluate(() => JSON.parse(localStorage.getItem('mm.session')));
	assert(!s.token.endsWith('.invalidsignature'), 'the refused token was replaced');
	// A refresh token that no longer works signs the person out clearly.
	psql("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = :'p1';", u.id);
	await page.evaluate(() => {
		const cur = JSON.parse(localStorage.getItem('mm.session'));
		cur.exp = 1;
		localStorage.setItem('mm.session', JSON.stringify(cur));
	});
	await page.goto(`${BASE}/history`);
	await page.waitForURL(/\/welcome/);
	await page.locator('.toast').filter({ hasText: 'sign in again' }).waitFor();
	noProblems(page);
	await ctx.close();
}, { budget: 22 });

test('API errors are shown as readable messages', async ({ browser }) => {
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await page.goto(`${BASE}/welcome`);
	await page.getByLabel('Email').fill('nobody-here@example.test');
	await page.getByLabel('Password').fill('wrong password');
	await page.getByRole('button', { name: 'Sign in' }).last().click();
	const alert = page.locator('.alert[role="alert"]');
	await alert.waitFor();
	const text = await alert.innerText();
	assert(text.length > 5 && !text.includes('{') && !text.includes('statusCode'), `readable sign-in error: ${text}`);
	const u = createUser();
	await signIn(page, u, '/history/workout_00000000000000000000000000000000');
	await page.locator('main .alert').waitFor();
	const t2 = await page.locator('main .alert').innerText();
	assert(t2.length > 5 && !t2.includes('{'), `readable not-found error: ${t2}`);
	await shot(page, '08-error');
	noProblems(page);
	await ctx.close();
}, { budget: 10 });

// ------------------------------------------------------------ credits

test('free tier with no credits: the workout is refused with a clear message', async ({ browser }) => {
	const u = createUser();
	makeBroke(u.id);
	eq(balanceOf(u.id), 0, 'balance before');
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await signIn(page, u, '/log');
	await page.locator('[data-entitlement] .chip').waitFor();
	assert((await page.locator('[data-entitlement]').innerText()).includes('you have 0'), 'the logger tells the cost and the balance');
	await addExercise(page, 'squat', 'bw-squat');
	await page.locator('[data-submit]').click();
	const err = page.locator('[data-error="INSUFFICIENT_CREDITS"]');
	await err.waitFor();
	eq((await err.innerText()).split('\n')[0].trim(), 'You need 25 credits but only have 0', 'the envelope message');
	await err.getByRole('link', { name: 'Get credits' }).waitFor();
	await shot(page, '09-out-of-credits');
	eq(workoutsOf(u.id), 0, 'nothing stored');
	eq(balanceOf(u.id), 0, 'nothing charged');
	await err.getByRole('link', { name: 'Get credits' }).click();
	await page.locator('section[data-balance="0"]').waitFor();
	await page.locator('[data-plan="credits"]').waitFor();
	eq(await page.locator('[data-tier]').count(), 3, 'three pricing tiers');
	await page.locator('[data-tier="starter"] button').click();
	await page.locator('.alert.ok').filter({ hasText: 'purch_' }).waitFor();
	await shot(page, '10-credits');
	noProblems(page);
	await ctx.close();
}, { budget: 20 });

// ------------------------------------------------------------ offline

test('a workout logged offline is sent once on reconnect and charged once', async ({ browser }) => {
	const u = createUser({ trial: false, balance: 100 });
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await signIn(page, u, '/log');
	await page.locator('[data-entitlement] .chip').waitFor();
	// The service worker has the shell by now.
	await page.evaluate(() => navigator.serviceWorker.ready);
	await ctx.setOffline(true);
	await page.locator('[data-offline]:not(.hidden)').waitFor();
	await addExercise(page, 'push-up', 'bw-pushup');
	await setSets(page, 'bw-pushup', 2);
	await page.locator('[data-submit]').click();
	await page.locator('[data-queued]').waitFor();
	const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('mm.outbox')));
	eq(queued.length, 1, 'queued workouts');
	const key = queued[0].body.idempotencyKey;
	assert(key, 'queued with an idempotency key');
	await shot(page, '11-offline-queued');
	eq(workoutsOf(u.id), 0, 'nothing reached the server while offline');
	// The app shell still opens offline (service worker cache).
	await page.goto(`${BASE}/history`);
	await page.locator('[data-queued-list]').waitFor();
	await ctx.setOffline(false);
	await waitFor(async () => (await page.evaluate(() => JSON.parse(localStorage.getItem('mm.outbox') || '[]').length)) === 0, 'the queue to drain', 15000);
	await page.locator('.toast').filter({ hasText: 'synced' }).waitFor();
	eq(workoutsOf(u.id), 1, 'workouts after reconnecting');
	eq(chargesOf(u.id), 1, 'workout charges');
	eq(balanceOf(u.id), 75, 'balance');
	// Replaying the same queued item (a lost response, a second tab) is
	// answered with the original: still one workout, one charge.
	await page.evaluate((item) => {
		localStorage.setItem('mm.outbox', JSON.stringify([item]));
		window.dispatchEvent(new Event('online'));
	}, queued[0]);
	await waitFor(async () => (await page.evaluate(() => JSON.parse(localStorage.getItem('mm.outbox') || '[]').length)) === 0, 'the replay to finish', 15000);
	eq(workoutsOf(u.id), 1, 'workouts after a replay');
	eq(chargesOf(u.id), 1, 'charges after a replay');
	eq(balanceOf(u.id), 75, 'balance after a replay');
	await page.goto(`${BASE}/history`);
	await page.locator('.history-item').first().waitFor();
	eq(await page.locator('.history-item').count(), 1, 'history shows one workout');
	noProblems(page);
	await ctx.close();
}, { budget: 22 });

// ------------------------------------------------------------ map and accessibility

test('exercise map, keyboard and labels', async ({ browser }) => {
	const u = createUser();
	const ctx = await newContext(browser, { viewport: DESKTOP, deviceScaleFactor: 1 });
	const page = await newPage(ctx);
	await signIn(page, u, '/map?exercise=bw-pushup');
	await page.locator('main .musclemap .mm-table').waitFor();
	await expectShaded(page, 'main', ['chest-mid', 'triceps-lateral', 'delt-front', 'chest-upper']);
	const row = await page.locator('main .mm-table tr[data-muscle="chest-mid"]').innerText();
	assert(row.includes('70'), `table row of chest-mid shows 70%: ${row}`);
	await shot(page, '12-map-exercise-desktop');
	// The first Tab stop is the skip link, and it targets the content.
	await page.keyboard.press('Tab');
	eq(await page.evaluate(() => document.activeElement.className), 'skip-link', 'first Tab stop');
	for (const route of ['/log', '/map', '/credits']) {
		await page.goto(`${BASE}${route}`);
		await page.locator('main .card').first().waitFor();
		await sleep(300);
		const unlabeled = await page.evaluate(() => {
			const bad = [];
			for (const el of document.querySelectorAll('input, select, textarea')) {
				const named = el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.type === 'hidden';
				if (!named) bad.push(el.outerHTML.slice(0, 80));
			}
			for (const el of document.querySelectorAll('button, a[href]')) {
				if (!(el.textContent.trim() || el.getAttribute('aria-label'))) bad.push(el.outerHTML.slice(0, 80));
			}
			return bad;
		});
		eq(unlabeled, [], `controls without a name on ${route}`);
	}
	noProblems(page);
	await ctx.close();
}, { budget: 25 });

// ------------------------------------------------------------ areas landing later

test('journey: pick an archetype, see level and progress', async ({ browser }) => {
	const u = createUser();
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await signIn(page, u, '/journey');
	await page.locator('[data-choose="bodybuilder"]').click();
	await page.locator('.hero[data-journey="bodybuilder"]').waitFor();
	await page.locator('.levels .level.current').waitFor();
	await shot(page, '13-journey');
	await page.goto(`${BASE}/`);
	await page.locator('.hero[data-journey="bodybuilder"] [role="progressbar"]').waitFor();
	noProblems(page);
	await ctx.close();
}, { budget: 25, needs: ['/api/archetypes', '/api/journey'] });

test('coach: generate a plan and start it in the logger', async ({ browser }) => {
	const u = createUser();
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await signIn(page, u, '/coach');
	await page.locator('[data-generate]').click();
	const plan = page.locator('[data-plan]');
	await plan.waitFor({ timeout: 20000 });
	const n = await plan.locator('.plan-list > li').count();
	assert(n > 0, 'the plan has exercises');
	await shot(page, '14-coach');
	await page.locator('[data-start-plan]').click();
	await page.waitForURL('**/log');
	await page.locator('.entry').first().waitFor();
	eq(await page.locator('.entry').count(), n, 'the logger is filled with the plan');
	noProblems(page);
	await ctx.close();
}, { budget: 15, needs: ['/api/prescription/generate'] });

test('community: a high-five reaches the other browser live; presence, leaderboard, competitions', async ({ browser }) => {
	const a = createUser({ displayName: 'Ada Fiver' });
	const b = createUser({ displayName: 'Bo Watcher' });
	const w = await nodeRequest('POST', '/api/workouts', { exercises: [{ exerciseId: 'bw-squat', sets: 4 }] }, { Authorization: `Bearer ${b.token}` });
	eq(w.status, 201, 'fixture workout');
	const ctxA = await newContext(browser);
	const ctxB = await newContext(browser);
	const pa = await newPage(ctxA);
	const pb = await newPage(ctxB);
	await signIn(pb, b, '/community');
	await pb.locator('[data-live="live"]').waitFor({ timeout: 15000 });
	await signIn(pa, a, '/community');
	const bEvent = pa.locator(`.feed [data-workout="${w.json.id}"]`);
	await bEvent.waitFor();
	assert((await bEvent.innerText()).includes('Bo Watcher'), 'the feed names the athlete');
	await bEvent.locator('[data-highfive]').click();
	await bEvent.locator('[data-highfive].sent').waitFor();
	// B did not reload: the high-five arrives over the stream.
	const live = pb.locator('.feed .event.new[data-event-type="high_five"]').filter({ hasText: `@${b.username}` });
	await live.waitFor({ timeout: 5000 });
	await pb.locator('[data-presence-total]').waitFor();
	assert(Number(await pb.locator('[data-presence-total]').getAttribute('data-presence-total')) >= 1, 'presence counts the watcher');
	await shot(pb, '15-community-feed');
	await pb.locator('[data-tab="leaderboard"]').click();
	await pb.locator('.leaderboard li').first().waitFor();
	eq(await pb.locator('.leaderboard li .rank').first().innerText(), '1', 'the board starts at rank 1');
	await shot(pb, '16-leaderboard');
	await pb.locator('[data-tab="competitions"]').click();
	await pb.locator('.comp-create summary').click();
	const compName = `Squat week ${unique('')}`;
	await pb.getByLabel('Name').fill(compName);
	// Lists show the latest start dates first: start this one far ahead.
	await pb.getByLabel('Starts').fill('2035-01-01');
	await pb.getByRole('button', { name: 'Create competition' }).click();
	const comp = pb.locator('[data-competition]').filter({ hasText: compName });
	await comp.waitFor();
	await comp.locator('[data-join]').click();
	await pb.locator('.toast').filter({ hasText: 'Joined' }).waitFor();
	await pb.locator('[data-tab="highfives"]').click();
	await pb.locator('.stat').first().waitFor();
	noProblems(pa);
	noProblems(pb);
	await ctxA.close();
	await ctxB.close();
}, { budget: 35, needs: ['/api/community/feed', '/api/community/presence', '/api/highfives/stats'] });

test('community: a logged workout reaches another browser live', async ({ browser }) => {
	const a = createUser({ displayName: 'Ada Lifter' });
	const b = createUser({ displayName: 'Bo Watcher' });
	const ctxA = await newContext(browser);
	const ctxB = await newContext(browser);
	const pa = await newPage(ctxA);
	const pb = await newPage(ctxB);
	await signIn(pb, b, '/community');
	await pb.locator('[data-live="live"]').waitFor({ timeout: 15000 });
	await signIn(pa, a, '/log');
	await addExercise(pa, 'push-up', 'bw-pushup');
	await pa.locator('[data-submit]').click();
	const workoutId = await pa.locator('[data-saved]').getAttribute('data-saved');
	// Contract §8: a committed public workout reaches connected community
	// subscribers within a second.
	const item = pb.locator(`.feed .event.new[data-workout="${workoutId}"]`);
	await item.waitFor({ timeout: 5000 }).catch(() => {
		throw new Error('the workout did not arrive on the community stream within 5 s');
	});
	assert((await item.innerText()).includes('Ada Lifter'), 'the live event names the athlete');
	noProblems(pa);
	noProblems(pb);
	await ctxA.close();
	await ctxB.close();
}, { budget: 22, needs: ['/api/community/feed'] });

test('messages: two people talk live, unread counts, blocking', async ({ browser }) => {
	const a = createUser({ displayName: 'Ada Sender' });
	const b = createUser({ displayName: 'Bo Reader' });
	const ctxA = await newContext(browser);
	const ctxB = await newContext(browser);
	const pa = await newPage(ctxA);
	const pb = await newPage(ctxB);
	await signIn(pb, b, '/messages');
	await pb.locator('main .card').first().waitFor();
	await signIn(pa, a, '/messages');
	// Both browsers hold their messaging stream before anything is sent.
	await pa.locator('html[data-messaging="live"]').waitFor({ timeout: 15000 });
	await pb.locator('html[data-messaging="live"]').waitFor({ timeout: 15000 });
	await pa.locator('details summary').filter({ hasText: 'New conversation' }).click();
	await pa.getByLabel('User id').fill(b.id);
	await pa.getByRole('button', { name: 'Start conversation' }).click();
	await pa.waitForURL(/\/messages\/conv_/);
	await pa.locator('[data-compose]').fill('Hello from Ada');
	await pa.locator('[data-compose]').press('Enter');
	await pa.locator('.bubble.mine').filter({ hasText: 'Hello from Ada' }).waitFor();
	// B's list updates live with an unread count.
	await pb.locator('[data-unread="1"]').waitFor({ timeout: 5000 });
	await shot(pb, '16-messages-list');
	await pb.locator('.conv').first().click();
	await pb.locator('.bubble').filter({ hasText: 'Hello from Ada' }).waitFor();
	await pb.locator('[data-compose]').fill('Hi Ada!');
	await pb.getByRole('button', { name: 'Send' }).click();
	await pa.locator('.bubble').filter({ hasText: 'Hi Ada!' }).waitFor({ timeout: 5000 });
	await shot(pa, '17-conversation');
	// A blocks B: B's next message is refused with a readable reason.
	pa.once('dialog', (d) => d.accept());
	await pa.locator('[data-block]').click();
	await pa.locator('[data-block]').filter({ hasText: 'Unblock' }).waitFor();
	await pb.locator('[data-compose]').fill('Are you there?');
	await pb.getByRole('button', { name: 'Send' }).click();
	await pb.locator('main .alert').waitFor();
	assert(!(await pb.locator('main .alert').innerText()).includes('{'), 'readable block message');
	noProblems(pa);
	noProblems(pb);
	await ctxA.close();
	await ctxB.close();
}, { budget: 45, needs: ['/api/messaging/conversations'] });

test('goals: milestones are claimed for credits; insights and tips show', async ({ browser }) => {
	const u = createUser();
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await signIn(page, u, '/log');
	await addExercise(page, 'push-up', 'bw-pushup');
	await page.locator('[data-submit]').click();
	await page.locator('[data-saved]').waitFor();
	await page.goto(`${BASE}/goals`);
	const claim = page.locator('[data-claim="ms_first_workout"]');
	await claim.waitFor();
	await claim.click();
	await page.locator('[data-milestone="ms_first_workout"] .chip.ok').waitFor();
	eq(balanceOf(u.id), 110, 'balance after the reward');
	await shot(page, '18-goals');
	noProblems(page);
	await ctx.close();
}, { budget: 30, needs: ['/api/milestones', '/api/insights', '/api/tips'] });

test('settings: units, theme and privacy are saved', async ({ browser }) => {
	const u = createUser();
	const ctx = await newContext(browser);
	const page = await newPage(ctx);
	await signIn(page, u, '/settings');
	await page.locator('[data-setting="theme"]').selectOption('light');
	await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
	await page.locator('[data-setting="weightUnit"]').selectOption('kg');
	await page.locator('[data-setting="privacy.showInFeed"]').uncheck();
	await waitFor(() => {
		const s = psql("SELECT settings::text FROM user_settings WHERE user_id = :'p1';", u.id);
		return s.length && s[0][0].includes('"light"') && s[0][0].includes('"kg"');
	}, 'settings to be stored');
	await shot(page, '19-settings-light');
	noProblems(page);
	await ctx.close();
}, { budget: 18, needs: ['/api/settings'] });

// ------------------------------------------------------------ run

const filter = process.argv[2] || '';
let passed = 0;
let failed = 0;
let skipped = 0;
const browser = await launch();
try {
	fs.mkdirSync(SHOTS, { recursive: true });
	for (const f of fs.readdirSync(SHOTS).filter((x) => x.startsWith('FAIL-'))) {
		fs.rmSync(path.join(SHOTS, f));
	}
	for (const t of tests) {
		if (filter && !t.name.includes(filter)) {
			continue;
		}
		const started = Date.now();
		try {
			await requireDeployed(...t.needs);
			await ensureBudget(t.budget, log);
			budget.used = 0;
			let timer;
			await Promise.race([
				t.fn({ browser }),
				new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('timed out after 150 s')), 150000); }),
			]).finally(() => clearTimeout(timer));
			passed++;
			log(`PASS ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s, ${budget.used} API requests)`);
		} catch (e) {
			if (e instanceof Skip) {
				skipped++;
				log(`SKIP ${t.name}: ${e.message}`);
			} else {
				let i = 0;
				for (const c of browser.contexts()) {
					for (const pg of c.pages()) {
						await pg.screenshot({ path: path.join(SHOTS, `FAIL-${tests.indexOf(t)}-${i++}.png`), fullPage: true }).catch(() => {});
					}
				}
				failed++;
				log(`FAIL ${t.name}: ${e.message.split('\n').slice(0, 6).join('\n    ')}`);
			}
		}
		// Contexts a failed test left open are closed before the next one.
		for (const c of browser.contexts()) {
			await c.close().catch(() => {});
		}
	}
} finally {
	await browser.close().catch(() => {});
}
log(`screenshots in ${SHOTS}`);
log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
