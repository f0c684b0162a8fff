// Small DOM helpers.  Everything the app shows is built with these (never
// with HTML strings), so text from the API is always text, and no inline
// style attribute reaches the page (the CSP forbids them).

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyAttrs(el, attrs) {
	if (!attrs) {
		return;
	}
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null || v === false) {
			continue;
		}
		if (k === 'class') {
			el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
		} else if (k === 'text') {
			el.textContent = v;
		} else if (k === 'dataset') {
			Object.assign(el.dataset, v);
		} else if (k.startsWith('on') && typeof v === 'function') {
			el.addEventListener(k.slice(2).toLowerCase(), v);
		} else if (k === 'value' && 'value' in el) {
			el.value = v;
		} else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') {
			el[k] = Boolean(v);
			if (v === true && k !== 'checked' && k !== 'selected') {
				el.setAttribute(k, '');
			}
		} else {
			el.setAttribute(k, v === true ? '' : String(v));
		}
	}
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) {
			continue;
		}
		if (Array.isArray(c)) {
			append(el, c);
		} else if (c instanceof Node) {
			el.appendChild(c);
		} else {
			el.appendChild(document.createTextNode(String(c)));
		}
	}
}

// h('div', {class: 'card'}, 'text', child, [more children])
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs && (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs))) {
		children.unshift(attrs);
		attrs = null;
	}
	applyAttrs(el, attrs);
	append(el, children);
	return el;
}

export function s(tag, attrs, ...children) {
	const el = document.createElementNS(SVG_NS, tag);
	applyAttrs(el, attrs);
	append(el, children);
	return el;
}

// Appends children to el, skipping null, undefined and false.
export function add(el, ...children) {
	append(el, children);
	return el;
}

export function clear(el) {
	while (el.firstChild) {
		el.removeChild(el.firstChild);
	}
	return el;
}

export function replace(el, ...children) {
	clear(el);
	append(el, children);
	return el;
}

let idSeq = 0;
export function uid(prefix = 'id') {
	idSeq += 1;
	return `${prefix}-${idSeq}`;
}

// A labelled form field.  Returns {wrap, input}.
export function field(label, input, hint) {
	if (!input.id) {
		input.id = uid('f');
	}
	const hintEl = hint ? h('p', { class: 'field-hint', id: input.id + '-hint', text: hint }) : null;
	if (hintEl) {
		input.setAttribute('aria-describedby', hintEl.id);
	}
	const wrap = h('div', { class: 'field' },
		h('label', { for: input.id, text: label }), input, hintEl);
	return { wrap, input };
}

export function select(options, value, attrs = {}) {
	const el = h('select', attrs);
	for (const o of options) {
		const [v, label] = Array.isArray(o) ? o : [o, o];
		el.appendChild(h('option', { value: v, text: label, selected: String(v) === String(value) }));
	}
	return el;
}

export function debounce(fn, ms) {
	let t = null;
	const d = (...args) => {
		clearTimeout(t);
		t = setTimeout(() => fn(...args), ms);
	};
	d.cancel = () => clearTimeout(t);
	return d;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
	day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
});

export function fmtDate(ymd) {
	if (!ymd) {
		return '';
	}
	const [y, m, d] = ymd.split('-').map(Number);
	return dateFmt.format(new Date(Date.UTC(y, m - 1, d, 12)));
}

export function fmtDateTime(iso) {
	if (!iso) {
		return '';
	}
	return dateTimeFmt.format(new Date(iso));
}

export function timeAgo(iso) {
	const t = new Date(iso).getTime();
	const sec = Math.max(0, Math.round((Date.now() - t) / 1000));
	if (sec < 45) {
		return 'just now';
	}
	const min = Math.round(sec / 60);
	if (min < 60) {
		return `${min} min ago`;
	}
	const hr = Math.round(min / 60);
	if (hr < 24) {
		return `${hr} h ago`;
	}
	const days = Math.round(hr / 24);
	if (days < 7) {
		return `${days} d ago`;
	}
	return fmtDateTime(iso);
}

export function fmtNum(n, digits = 2) {
	if (n === null || n === undefined || Number.isNaN(Number(n))) {
		return '–';
	}
	return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function todayUtc() {
	return new Date().toISOString().slice(0, 10);
}

export function initials(name) {
	const parts = String(name || '?').trim().split(/[\s_]+/).filter(Boolean);
	return (parts[0]?.[0] || '?').toUpperCase() + (parts[1]?.[0] || '').toUpperCase();
}

export function avatar(name, url, size = 'md') {
	if (url && /^https?:\/\//.test(url)) {
		// The CSP allows images from this origin only; remote avatars
		// fall back to initials.
		const sameOrigin = url.startsWith(location.origin);
		if (sameOrigin) {
			return h('img', { class: `avatar avatar-${size}`, src: url, alt: '' });
		}
	}
	return h('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true', text: initials(name) });
}
