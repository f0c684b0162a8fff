// Credits (contract §5): balance and entitlement, the ledger, pricing and
// checkout.

import { h, add, replace, fmtDateTime, fmtDate } from '../dom.js';
import { get, post } from '../api.js';
import { pageHead, asyncSection, card, stat, errorBox, loading, alertBox, messageOf } from '../ui.js';
import { label } from '../catalog.js';

const PAGE = 15;

const ACTIONS = {
	signup_bonus: 'Welcome bonus',
	workout: 'Workout',
	prescription: 'Coach plan',
	purchase: 'Purchase',
	milestone_reward: 'Milestone reward',
	competition_entry: 'Competition entry',
	competition_refund: 'Competition refund',
};

const money = (cents) => (cents / 100).toLocaleString(undefined, { style: 'currency', currency: 'USD' });

export default async function credits(root) {
	const summary = h('div');
	const pricing = h('div', { id: 'subscription' });
	const ledger = h('ul', { class: 'list ledger', 'aria-label': 'Credit history' });
	const ledgerMore = h('div', { class: 'center' });
	const checkoutMsg = h('div', { 'aria-live': 'polite' });

	add(root, pageHead('Credits', 'Workouts cost credits on the free tier; the trial and the subscription are unlimited.'),
		summary,
		card('Get more', checkoutMsg, pricing),
		card('History', ledger, ledgerMore));

	asyncSection(summary, () => Promise.all([get('/api/economy/balance'), get('/api/entitlements')]), ([b, e]) => {
		let plan;
		if (e.reason === 'trial') {
			plan = `Free trial until ${fmtDate(e.trialEndsAt.slice(0, 10))} · ${e.daysLeftInTrial} day${e.daysLeftInTrial === 1 ? '' : 's'} left · unlimited workouts`;
		} else if (e.reason === 'subscription') {
			plan = `Unlimited subscription${e.subscriptionEndsAt ? ` · renews ${fmtDate(e.subscriptionEndsAt.slice(0, 10))}` : ''}`;
		} else {
			plan = 'Free tier · each workout uses credits';
		}
		return h('section', { class: 'card hero', 'data-balance': String(b.balance) },
			h('div', { class: 'row' },
				h('div', null,
					h('p', { class: 'muted small', text: 'Balance' }),
					h('div', { class: 'big-number' }, h('strong', { text: String(b.balance) }), h('span', { class: 'muted', text: ' credits' }))),
				h('span', { class: 'spacer' }),
				h('span', { class: b.unlimited ? 'chip ok' : 'chip', text: b.unlimited ? 'Unlimited' : 'Pay as you go' })),
			h('p', { class: 'muted', 'data-plan': e.reason, text: plan }),
			h('div', { class: 'grid stats' },
				stat(String(b.lifetimeEarned), 'Earned'),
				stat(String(b.lifetimeSpent), 'Spent'),
				stat(String(e.creditBalance), 'Available')));
	}, 'Your balance');

	asyncSection(pricing, () => get('/api/economy/pricing', { auth: 'none' }), (p) => {
		const buy = (tier) => async (ev) => {
			const btn = ev.currentTarget;
			btn.disabled = true;
			replace(checkoutMsg);
			try {
				const purchase = await post('/api/billing/checkout', { tierId: tier.id });
				replace(checkoutMsg, alertBox(`Order ${purchase.id} for ${purchase.credits} credits (${money(purchase.amountCents)}) is ready. Payment is completed on Stripe's checkout page; the credits arrive as soon as it confirms.`, 'ok'));
			} catch (e) {
				replace(checkoutMsg, alertBox(messageOf(e)));
			} finally {
				btn.disabled = false;
			}
		};
		return [
			h('div', { class: 'tiers' }, p.tiers.map((t) => h('div', { class: `tier${t.popular ? ' popular' : ''}`, 'data-tier': t.id },
				t.popular ? h('span', { class: 'chip accent tier-flag', text: 'Most popular' }) : null,
				h('h3', { text: label(t.id) }),
				h('div', { class: 'tier-credits' }, h('strong', { text: String(t.credits) }), h('span', { class: 'muted', text: ' credits' })),
				h('p', { class: 'muted small', text: `${money(t.priceCents)} · ${Math.floor(t.credits / 25)} workouts` }),
				h('button', { type: 'button', class: t.popular ? 'btn btn-primary btn-block' : 'btn btn-ghost btn-block', text: `Buy for ${money(t.priceCents)}`, onclick: buy(t) })))),
			h('div', { class: 'subscription' },
				h('div', null,
					h('h3', { text: 'Unlimited' }),
					h('p', { class: 'muted small', text: `${money(p.subscription.priceCents)} per ${p.subscription.interval} · ${p.subscription.features.join(' · ')}` })),
				h('span', { class: 'chip', text: 'Subscribe on the web checkout' })),
		];
	}, 'Pricing');

	let offset = 0;
	const loadLedger = async () => {
		replace(ledgerMore, loading());
		try {
			const r = await get(`/api/economy/transactions?limit=${PAGE}&offset=${offset}`);
			offset += r.transactions.length;
			for (const t of r.transactions) {
				const wid = t.metadata && t.metadata.workoutId;
				ledger.appendChild(h('li', { class: 'row ledger-row', 'data-action': t.action },
					h('div', null,
						h('strong', { text: ACTIONS[t.action] || label(t.action) }),
						h('div', { class: 'muted small' }, fmtDateTime(t.createdAt), wid ? ' · ' : null, wid ? h('a', { href: `/history/${wid}`, text: 'workout' }) : null)),
					h('span', { class: 'spacer' }),
					h('div', { class: 'num' },
						h('strong', { class: t.amount < 0 ? 'neg' : 'pos', text: `${t.amount > 0 ? '+' : ''}${t.amount}` }),
						h('div', { class: 'muted small', text: `balance ${t.balanceAfter}` }))));
			}
			if (r.total === 0) {
				replace(ledgerMore, h('p', { class: 'muted', text: 'No transactions yet.' }));
			} else if (offset < r.total) {
				const btn = h('button', { type: 'button', class: 'btn btn-ghost', text: 'Show more', onclick: loadLedger });
				replace(ledgerMore, btn);
			} else {
				replace(ledgerMore);
			}
		} catch (e) {
			replace(ledgerMore, errorBox(e, loadLedger, 'Your credit history'));
		}
	};
	loadLedger();
}
