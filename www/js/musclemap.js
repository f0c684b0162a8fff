// The muscle map: the body of body.js with every catalog muscle shaded by
// its value (Training Units of a workout or a week, or an exercise's
// activation in percent), a legend, a tooltip on hover or tap, and a table
// that says the same in text.
//
// Each region is a <g data-muscle="<catalog id>" data-value="..." fill="...">
// so that tests, styles and assistive technology can find a muscle by id.

import { FIGURES, VIEW_W, VIEW_H } from './body.js';
import { h, s, fmtNum, uid } from './dom.js';

const MIRROR = `matrix(-1 0 0 1 ${VIEW_W} 0)`;

// Heat scale, light to intense.  The same stops feed the legend (CSS).
const HEAT = [
	[0, [255, 226, 154]],
	[0.35, [255, 179, 71]],
	[0.7, [255, 99, 61]],
	[1, [226, 36, 58]],
];

function palette() {
	const light = document.documentElement.dataset.theme === 'light';
	return light
		? { untrained: '#d5dce7', body: '#eceff5', gap: '#ffffff', detail: '#b8c2d1' }
		: { untrained: '#2c3749', body: '#1a2231', gap: '#121a27', detail: '#46546b' };
}

function mix(a, b, t) {
	return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

export function heatColor(t) {
	t = Math.min(1, Math.max(0, t));
	for (let i = 1; i < HEAT.length; i++) {
		if (t <= HEAT[i][0]) {
			const [t0, c0] = HEAT[i - 1];
			const [t1, c1] = HEAT[i];
			const c = mix(c0, c1, (t - t0) / (t1 - t0));
			return '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
		}
	}
	return '#e2243a';
}

// Fill of a muscle with value v on a map whose largest value is max.
export function fillFor(v, max, pal = palette()) {
	if (!(v > 0) || !(max > 0)) {
		return pal.untrained;
	}
	return heatColor(0.15 + 0.85 * Math.min(1, v / max));
}

function figure(name, fig, ctx) {
	const pal = ctx.pal;
	const titleId = uid('mmt');
	const svg = s('svg', {
		class: 'mm-figure',
		viewBox: `0 0 ${VIEW_W} ${VIEW_H}`,
		role: 'group',
		'aria-labelledby': titleId,
		'data-view': name,
	});
	svg.appendChild(s('title', { id: titleId, text: `${ctx.title}, ${fig.label.toLowerCase()} view` }));
	const body = s('g', { class: 'mm-body', fill: pal.body, 'aria-hidden': 'true' });
	for (const d of fig.silhouette) {
		body.appendChild(s('path', { d }));
		body.appendChild(s('path', { d, transform: MIRROR }));
	}
	body.appendChild(s('ellipse', { cx: fig.head.cx, cy: fig.head.cy, rx: fig.head.rx, ry: fig.head.ry }));
	body.appendChild(s('path', { d: fig.neck }));
	svg.appendChild(body);

	const regions = s('g', { class: 'mm-regions', stroke: pal.gap, 'stroke-width': '0.9', 'stroke-linejoin': 'round' });
	for (const [id, d] of fig.regions) {
		const m = ctx.byId.get(id);
		const v = ctx.values[id] || 0;
		const name = m ? m.name : id;
		const g = s('g', {
			class: v > 0 ? 'mm-region trained' : 'mm-region',
			'data-muscle': id,
			'data-value': String(Math.round(v * 100) / 100),
			fill: fillFor(v, ctx.max, pal),
			role: 'img',
			'aria-label': `${name}: ${v > 0 ? fmtNum(v) + ' ' + ctx.unit : 'not trained'}`,
		});
		g.appendChild(s('title', { text: `${name} — ${v > 0 ? fmtNum(v) + ' ' + ctx.unit : 'not trained'}` }));
		g.appendChild(s('path', { d }));
		g.appendChild(s('path', { d, transform: MIRROR }));
		regions.appendChild(g);
	}
	svg.appendChild(regions);

	const details = s('g', {
		class: 'mm-details', fill: 'none', stroke: pal.detail, 'stroke-width': '0.7',
		'stroke-linecap': 'round', 'aria-hidden': 'true',
	});
	for (const d of fig.details) {
		details.appendChild(s('path', { d }));
		if (!d.startsWith('M100,')) {
			details.appendChild(s('path', { d, transform: MIRROR }));
		}
	}
	svg.appendChild(details);
	return svg;
}

function legend(ctx) {
	return h('div', { class: 'mm-legend', 'aria-hidden': 'true' },
		h('span', { class: 'mm-legend-swatch untrained' }),
		h('span', { class: 'mm-legend-label', text: 'none' }),
		h('span', { class: 'mm-legend-bar' }),
		h('span', { class: 'mm-legend-label', text: ctx.max > 0 ? `${fmtNum(ctx.max, 1)} ${ctx.unit}`.trim() : 'high' }),
	);
}

function table(ctx, muscles) {
	const rows = muscles
		.map((m) => ({ m, v: ctx.values[m.id] || 0 }))
		.sort((a, b) => b.v - a.v || a.m.name.localeCompare(b.m.name));
	const trained = rows.filter((r) => r.v > 0);
	const tbody = h('tbody');
	const render = (all) => {
		tbody.replaceChildren(...(all ? rows : trained).map(({ m, v }) =>
			h('tr', { 'data-muscle': m.id, tabindex: '0' },
				h('th', { scope: 'row' }, h('span', { class: 'mm-dot', 'data-fill': fillFor(v, ctx.max, ctx.pal) }), m.name),
				h('td', { text: m.muscleGroup }),
				h('td', { class: 'num', text: v > 0 ? fmtNum(v) : '–' }),
			)));
		for (const dot of tbody.querySelectorAll('.mm-dot')) {
			dot.style.background = dot.dataset.fill;
		}
	};
	render(false);
	const toggle = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'aria-pressed': 'false', text: `Show all ${muscles.length} muscles` });
	toggle.addEventListener('click', () => {
		const all = toggle.getAttribute('aria-pressed') !== 'true';
		toggle.setAttribute('aria-pressed', String(all));
		toggle.textContent = all ? 'Show trained muscles only' : `Show all ${muscles.length} muscles`;
		render(all);
	});
	const empty = trained.length === 0 ? h('p', { class: 'muted small', text: 'No muscle has a value yet.' }) : null;
	return h('details', { class: 'mm-table-wrap', open: ctx.tableOpen },
		h('summary', { text: `Muscle values (${trained.length} of ${muscles.length} trained)` }),
		empty,
		h('table', { class: 'mm-table' },
			h('caption', { class: 'sr-only', text: ctx.title }),
			h('thead', h('tr', h('th', { scope: 'col', text: 'Muscle' }), h('th', { scope: 'col', text: 'Group' }),
				h('th', { scope: 'col', class: 'num', text: ctx.unit || 'Value' }))),
			tbody),
		h('div', { class: 'mm-table-actions' }, toggle));
}

// muscleMap({muscles, values, title, unit, size, table, views})
//   muscles: the catalog (GET /api/muscles)
//   values:  {muscleId: number}
//   size:    'lg' (default) or 'sm' (no legend, no table: cards)
export function muscleMap(opts) {
	const muscles = opts.muscles || [];
	const values = opts.values || {};
	const unit = opts.unit ?? 'TU';
	const size = opts.size || 'lg';
	const byId = new Map(muscles.map((m) => [m.id, m]));
	const max = Math.max(0, ...Object.values(values).map(Number).filter((v) => v > 0));
	const ctx = {
		byId, values, max, unit, pal: palette(), title: opts.title || 'Muscle map',
		tableOpen: opts.tableOpen ?? false,
	};
	const trained = Object.keys(values).filter((k) => values[k] > 0)
		.sort((a, b) => values[b] - values[a]);
	const summary = trained.length
		? `${trained.length} muscles trained; most: ${trained.slice(0, 3).map((id) => (byId.get(id)?.name || id)).join(', ')}`
		: 'no muscles trained';

	const figures = h('div', { class: 'mm-figures', role: 'group', 'aria-label': `${ctx.title}: ${summary}` });
	for (const name of opts.views || ['front', 'back']) {
		figures.appendChild(h('figure', { class: 'mm-fig' },
			figure(name, FIGURES[name], ctx),
			size === 'lg' ? h('figcaption', { text: FIGURES[name].label }) : null));
	}
	const tip = h('div', { class: 'mm-tip', role: 'status', 'aria-live': 'polite', hidden: true });
	const wrap = h('div', { class: `musclemap musclemap-${size}` }, figures, tip);
	if (size === 'lg') {
		wrap.appendChild(legend(ctx));
		if (opts.table !== false) {
			wrap.appendChild(table(ctx, muscles));
		}
	}
	attachTips(wrap, ctx, tip, size);
	return wrap;
}

function attachTips(wrap, ctx, tip, size) {
	let pinned = null;
	const show = (id, evt) => {
		const m = ctx.byId.get(id);
		const v = ctx.values[id] || 0;
		tip.replaceChildren(
			h('strong', { text: m ? m.name : id }),
			h('span', { text: m ? ` · ${m.muscleGroup}` : '' }),
			h('br'),
			h('span', { class: 'mm-tip-value', text: v > 0 ? `${fmtNum(v)} ${ctx.unit}` : 'Not trained' }));
		tip.hidden = false;
		const box = wrap.getBoundingClientRect();
		let x = (evt?.clientX ?? box.left + box.width / 2) - box.left;
		let y = (evt?.clientY ?? box.top + 40) - box.top;
		x = Math.min(Math.max(x, 70), box.width - 70);
		tip.style.left = `${x}px`;
		tip.style.top = `${Math.max(y - 12, 0)}px`;
		for (const el of wrap.querySelectorAll('.mm-region.hl')) {
			el.classList.remove('hl');
		}
		for (const el of wrap.querySelectorAll(`.mm-region[data-muscle="${id}"]`)) {
			el.classList.add('hl');
		}
	};
	const hide = () => {
		if (pinned) {
			return;
		}
		tip.hidden = true;
		for (const el of wrap.querySelectorAll('.mm-region.hl')) {
			el.classList.remove('hl');
		}
	};
	const regionOf = (t) => t.closest && t.closest('.mm-region');
	wrap.addEventListener('pointermove', (e) => {
		if (pinned || e.pointerType === 'touch') {
			return;
		}
		const r = regionOf(e.target);
		if (r) {
			show(r.dataset.muscle, e);
		} else {
			hide();
		}
	});
	wrap.addEventListener('pointerleave', hide);
	wrap.addEventListener('click', (e) => {
		const r = regionOf(e.target);
		if (r) {
			pinned = pinned === r.dataset.muscle ? null : r.dataset.muscle;
			if (pinned) {
				show(pinned, e);
			} else {
				tip.hidden = true;
			}
		} else if (pinned && !e.target.closest('.mm-table-wrap')) {
			pinned = null;
			hide();
		}
	});
	if (size === 'lg') {
		const rowHl = (e) => {
			const tr = e.target.closest && e.target.closest('tr[data-muscle]');
			if (!tr) {
				return;
			}
			for (const el of wrap.querySelectorAll('.mm-region.hl')) {
				el.classList.remove('hl');
			}
			for (const el of wrap.querySelectorAll(`.mm-region[data-muscle="${tr.dataset.muscle}"]`)) {
				el.classList.add('hl');
			}
		};
		wrap.addEventListener('focusin', rowHl);
		wrap.addEventListener('mouseover', rowHl);
	}
}
