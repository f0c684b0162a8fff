// Goals (contract §10): milestones with their rewards, insights computed
// from the person's training, and tips.

import { h, add, replace, fmtNum, fmtDate } from '../dom.js';
import { get, post } from '../api.js';
import { pageHead, asyncSection, card, progressBar, stat, alertBox, messageOf, toast, icon } from '../ui.js';

export default async function goals(root) {
	const statsBox = h('div');
	const msBox = h('div');
	const insightBox = h('div');
	const tipBox = h('div');
	const msg = h('div', { 'aria-live': 'polite' });
	add(root, pageHead('Goals', 'Milestones pay credits when you reach them.'),
		statsBox, msg,
		card('Milestones', msBox),
		h('div', { class: 'grid cols-2' }, card('Insights', insightBox), card('Tips', tipBox)));

	asyncSection(statsBox, () => get('/api/progress/stats'), (s) => h('div', { class: 'grid stats' },
		stat(String(s.totalWorkouts), 'Workouts'),
		stat(fmtNum(s.totalTu, 0), 'Total TU'),
		stat(`${s.streak} d`, 'Streak')), 'Your statistics');

	const loadMilestones = () => asyncSection(msBox, () => get('/api/milestones'), (r) => {
		const list = [...r.milestones].sort((a, b) =>
			(Number(b.completed && !b.rewardClaimed) - Number(a.completed && !a.rewardClaimed)) ||
			(Number(a.completed) - Number(b.completed)) || (b.progress / (b.target || 1) - a.progress / (a.target || 1)));
		return h('ul', { class: 'milestones' }, list.map((m) => {
			const pct = m.target ? Math.min(100, (m.progress / m.target) * 100) : (m.completed ? 100 : 0);
			let action = null;
			if (m.completed && !m.rewardClaimed) {
				action = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-claim': m.id, text: `Claim ${m.rewardCredits} credits` });
				action.addEventListener('click', async () => {
					action.disabled = true;
					replace(msg);
					try {
						const c = await post(`/api/milestones/${encodeURIComponent(m.id)}/claim`);
						toast(c.alreadyClaimed ? 'Already claimed' : `+${c.credited} credits · balance ${c.newBalance}`, 'ok');
						window.dispatchEvent(new CustomEvent('mm-credits'));
						loadMilestones();
					} catch (e) {
						action.disabled = false;
						replace(msg, alertBox(messageOf(e)));
					}
				});
			} else if (m.rewardClaimed) {
				action = h('span', { class: 'chip ok', text: 'Claimed' });
			} else if (m.rewardCredits) {
				action = h('span', { class: 'chip', text: `${m.rewardCredits} credits` });
			}
			return h('li', { class: m.completed ? 'milestone done' : 'milestone', 'data-milestone': m.id },
				h('div', { class: 'row' },
					h('span', { class: 'ms-ico', 'aria-hidden': 'true' }, icon(m.completed ? 'trophy' : 'target')),
					h('div', { class: 'ms-text' }, h('strong', { text: m.name }), h('div', { class: 'muted small', text: m.description })),
					h('span', { class: 'spacer' }), action),
				progressBar(pct, `${m.name} progress`),
				h('div', { class: 'muted small ms-foot', text: m.completed ? `Completed ${m.completedAt ? fmtDate(m.completedAt.slice(0, 10)) : ''}` : `${fmtNum(m.progress, 0)} / ${fmtNum(m.target, 0)}` }));
		}));
	}, 'Milestones');
	loadMilestones();

	asyncSection(insightBox, () => get('/api/insights'), (r) => r.insights.length
		? h('ul', { class: 'list' }, r.insights.map((i) => h('li', { class: `insight ${i.severity}`, 'data-insight': i.type },
			h('strong', { text: i.title }), h('p', { class: 'small', text: i.message }), h('p', { class: 'muted small', text: i.suggestion }))))
		: h('p', { class: 'muted', text: 'Log a few workouts and insights about your training appear here.' }), 'Insights');

	asyncSection(tipBox, () => get('/api/tips?limit=5'), (r) => r.tips.length
		? h('ul', { class: 'list' }, r.tips.map((t) => {
			const dismiss = h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': `Dismiss tip: ${t.title}` }, icon('x'));
			const li = h('li', { 'data-tip': t.id }, h('div', { class: 'row' }, h('strong', { text: t.title }), h('span', { class: 'spacer' }), dismiss), h('p', { class: 'muted small', text: t.content }));
			dismiss.addEventListener('click', async () => {
				li.remove();
				try {
					await post(`/api/tips/${encodeURIComponent(t.id)}/dismiss`);
				} catch (e) {
					toast(e.message, 'error');
				}
			});
			return li;
		}))
		: h('p', { class: 'muted', text: 'You have seen every tip for now.' }), 'Tips');
}
