// The MuscleMap mark: a gradient tile with a stylised flexed-arm "M".

import { s, uid } from './dom.js';

export function brandMark() {
	const id = uid('bm');
	return s('svg', { class: 'brand-mark', viewBox: '0 0 32 32', 'aria-hidden': 'true' },
		s('defs', null,
			s('linearGradient', { id, x1: '0', y1: '0', x2: '1', y2: '1' },
				s('stop', { offset: '0', 'stop-color': '#7c6cff' }),
				s('stop', { offset: '1', 'stop-color': '#22d3ee' }))),
		s('rect', { x: '1', y: '1', width: '30', height: '30', rx: '9', fill: `url(#${id})` }),
		s('path', {
			d: 'M8 22V11l8 7 8-7v11', fill: 'none', stroke: '#fff', 'stroke-width': '3',
			'stroke-linecap': 'round', 'stroke-linejoin': 'round',
		}));
}
