// Helpers of the browser tests: the stack's settings, fixture users made
// straight in the database (as tests/http/mm.py create_user does), headless
// Chromium through playwright-core, the API rate-limit budget, probes for
// endpoints that are not deployed yet, and screenshots.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const HTTP_PORT = Number(process.env.MM_HTTP_PORT || 8080);
export const PG_PORT = Number(process.env.MM_PG_PORT || 55432);
export const VAR_DIR = process.env.MM_VAR_DIR || path.join(ROOT, 'var');
export const BASE = `http://127.0.0.1:${HTTP_PORT}`;
export const SHOTS = path.join(VAR_DIR, 'screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 860 };

export class Skip extends Error {}

export function assert(cond, msg) {
	if (!cond) {
		throw new Error(msg);
	}
}

export function eq(actual, expected, what) {
	if (JSON.stringify(actual) !== JSON.stringify(expected)) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ database

// Runs SQL as the superuser; :'p1'... are bound from params.
export function psql(sql, ...params) {
	const user = process.getuid && process.getuid() === 0 ? 'postgres' : (process.env.USER || 'postgres');
	const args = ['-X', '-q', '-t', '-A', '-F', '\t', '-v', 'ON_ERROR_STOP=1',
		'-h', '127.0.0.1', '-p', String(PG_PORT), '-U', user, '-d', 'musclemap'];
	params.forEach((p, i) => args.push('-v', `p${i + 1}=${p}`));
	const out = execFileSync('psql', args, { input: sql, encoding: 'utf8' });
	return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

function jwtSecret() {
	if (process.env.MM_JWT_SECRET) {
		return process.env.MM_JWT_SECRET;
	}
	return fs.readFileSync(path.join(VAR_DIR, 'jwt.secret'), 'utf8').trim();
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function makeToken(sub, ttl = 3600, iat = Math.floor(Date.now() / 1000)) {
	const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
	const body = b64url(JSON.stringify({ sub, iat, exp: iat + ttl }));
	const sig = crypto.createHmac('sha256', jwtSecret()).update(`${head}.${body}`).digest();
	return `${head}.${body}.${b64url(sig)}`;
}

export function unique(prefix = 'b_') {
	return prefix + crypto.randomBytes(6).toString('hex');
}

// A user made in the database (no password hashing, no auth rate limit),
// with a signed access token and a real refresh token.
// trial=false puts the user on the free tier; balance goes through
// update_credit_balance like the signup bonus.
export function createUser({ trial = true, balance = 100, displayName = null } = {}) {
	const username = unique('b_');
	const trialSql = trial ? "now() + interval '90 days'" : "now() - interval '1 day'";
	const id = psql(
		'INSERT INTO users (email, username, display_name, password_hash, trial_started_at, trial_ends_at) ' +
		"VALUES (lower(:'p1') || '@example.test', :'p1', NULLIF(:'p2', ''), " +
		"'pbkdf2_sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', " +
		`now() - interval '1 day', ${trialSql}) RETURNING id;`, username, displayName || '')[0][0];
	psql("INSERT INTO credit_balances (user_id, balance, lifetime_earned, lifetime_spent) VALUES (:'p1', 0, 0, 0) ON CONFLICT DO NOTHING;", id);
	if (balance > 0) {
		psql("SELECT success FROM update_credit_balance(:'p1', :p2, 'signup_bonus', NULL, :'p1' || ':signup');", id, String(balance));
	}
	const refreshToken = crypto.randomBytes(32).toString('hex');
	const hash = crypto.createHash('sha256').update(refreshToken).digest('hex');
	psql("INSERT INTO refresh_tokens (user_id, token_hash, expires_at) VALUES (:'p1', :'p2', now() + interval '30 days');", id, hash);
	return {
		id, username, email: `${username}@example.test`, displayName,
		token: makeToken(id), refreshToken,
		user: { id, username, email: `${username}@example.test`, displayName, roles: ['user'], currentArchetypeId: null, currentLevel: 1 },
	};
}

// Ends the trial and spends the whole balance: a free-tier user with 0.
export function makeBroke(userId) {
	psql("UPDATE users SET trial_ends_at = now() - interval '1 day' WHERE id = :'p1';", userId);
	const bal = Number(psql("SELECT balance FROM credit_balances WHERE user_id = :'p1';", userId)[0][0]);
	if (bal > 0) {
		psql("SELECT success FROM update_credit_balance(:'p1', -:p2, 'test_spend', NULL, :'p1' || ':spend:' || :'p3');", userId, String(bal), crypto.randomBytes(4).toString('hex'));
	}
}

// ------------------------------------------------------------ HTTP from node

// A GET from a loopback address other than the browser's, so the probes do
// not spend the browser's rate-limit budget.
export function nodeGet(p, headers = {}) {
	return nodeRequest('GET', p, null, headers);
}

export function nodeRequest(method, p, body = null, headers = {}) {
	const data = body === null ? null : JSON.stringify(body);
	if (data !== null) {
		headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers };
	}
	const addr = `127.${1 + crypto.randomInt(200)}.${crypto.randomInt(250)}.${1 + crypto.randomInt(250)}`;
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port: HTTP_PORT, path: p, method, headers, localAddress: addr, timeout: 10000 }, (res) => {
			let data = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { data += c; });
			res.on('end', () => {
				let json = null;
				try {
					json = JSON.parse(data);
				} catch {
					json = null;
				}
				resolve({ status: res.statusCode, headers: res.headers, body: data, json });
			});
		});
		req.on('error', reject);
		req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${p}`)));
		req.end(data === null ? undefined : data);
	});
}

// True when the endpoint is served: not nginx's (or a binary's) "No such
// endpoint" 404, and not 502/503/504 because its binary is absent.
export async function deployed(p) {
	const r = await nodeGet(p);
	if ([502, 503, 504].includes(r.status)) {
		return false;
	}
	if (r.status === 404 && r.json?.error?.code === 'NOT_FOUND' && r.json.error.message === 'No such endpoint') {
		return false;
	}
	return true;
}

export async function requireDeployed(...paths) {
	for (const p of paths) {
		if (!(await deployed(p))) {
			throw new Skip(`endpoint not deployed (${p})`);
		}
	}
}

// ------------------------------------------------------------ browser

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Playwright starts Chromium with a fresh temporary --user-data-dir of its
// own and removes it on close; every context of the tests is a new,
// isolated profile within it.
export async function launch() {
	return chromium.launch({
		executablePath: process.env.MM_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: CHROMIUM_ARGS,
	});
}

export async function newContext(browser, opts = {}) {
	return browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: false, hasTouch: false, ...opts });
}

// Rate-limit budget of the browser's address (127.0.0.1): every API
// response tells how many requests are left in the window and when it
// resets; tests wait for a new window when they would run out.
export const budget = { remaining: null, reset: 0, limit: null, used: 0 };

export function track(page) {
	page.on('response', (res) => {
		const url = res.url();
		if (!url.includes('/api/') || /\/api\/auth\/(register|login|refresh)$/.test(url)) {
			return;
		}
		const h = res.headers();
		if (h['x-ratelimit-remaining'] !== undefined) {
			budget.used++;
			budget.remaining = Number(h['x-ratelimit-remaining']);
			budget.reset = Number(h['x-ratelimit-reset']);
			budget.limit = Number(h['x-ratelimit-limit']);
		}
	});
}

export async function ensureBudget(need, log = () => {}) {
	if (budget.remaining === null || budget.remaining >= need) {
		return;
	}
	const wait = budget.reset * 1000 - Date.now() + 1500;
	if (wait > 0) {
		log(`  (waiting ${Math.ceil(wait / 1000)} s for a new rate-limit window: ${budget.remaining} of ${budget.limit} left)`);
		await sleep(wait);
	}
	budget.remaining = null;
}

// A page whose console errors, CSP violations and uncaught exceptions are
// collected in page.problems.
export async function newPage(context) {
	const page = await context.newPage();
	page.problems = [];
	page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
	page.on('console', (m) => {
		const t = m.text();
		if (m.type() === 'error' && /Content Security Policy|Refused to/.test(t)) {
			page.problems.push(`csp: ${t}`);
		}
	});
	track(page);
	return page;
}

export function noProblems(page) {
	assert(page.problems.length === 0, `page problems: ${page.problems.join(' | ')}`);
}

// Signs a fixture user in by storing the session the app keeps.
export async function signIn(page, user, to = '/') {
	await page.goto(`${BASE}/welcome`);
	await page.evaluate((s) => localStorage.setItem('mm.session', JSON.stringify(s)), {
		token: user.token, refreshToken: user.refreshToken, user: user.user,
		exp: JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString()).exp,
	});
	await page.goto(`${BASE}${to}`);
}

export async function shot(page, name) {
	fs.mkdirSync(SHOTS, { recursive: true });
	const file = path.join(SHOTS, `${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

// The fill of a muscle region of the first map on the page.
export async function regionFill(page, muscle, scope = 'body') {
	return page.locator(`${scope} [data-muscle="${muscle}"]`).first().getAttribute('fill');
}
