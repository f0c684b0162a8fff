/*
 * The API reference page: loads the OpenAPI document the API generates
 * from its route tables and lists the operations by binary.  An external
 * file because the page's Content-Security-Policy forbids inline scripts.
 */
"use strict";

(function () {
	var METHODS = ["get", "post", "put", "patch", "delete"];

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function row(path, method, op) {
		var tr = el("tr", "op"), td, params;
		var auth = op["x-auth"] || "none";

		tr.appendChild(el("td", "method m-" + method,
		    method.toUpperCase()));
		td = el("td", "path");
		td.appendChild(el("code", null, path));
		params = (op.parameters || []).map(function (p) {
			return p.name + " (" + p["in"] + ")";
		});
		if (params.length > 0)
			td.appendChild(el("div", "params",
			    "Parameters: " + params.join(", ")));
		tr.appendChild(td);
		tr.appendChild(el("td", "summary", op.summary || ""));
		td = el("td");
		td.appendChild(el("span", "auth auth-" + auth, auth));
		tr.appendChild(td);
		tr.dataset.text = (method + " " + path + " " +
		    (op.summary || "")).toLowerCase();
		return tr;
	}

	function render(doc) {
		var main = document.getElementById("api");
		var groups = {}, order = [];

		Object.keys(doc.paths).forEach(function (path) {
			METHODS.forEach(function (m) {
				var op = doc.paths[path][m], tag;
				if (!op)
					return;
				tag = (op.tags && op.tags[0]) || "other";
				if (!groups[tag]) {
					groups[tag] = [];
					order.push(tag);
				}
				groups[tag].push(row(path, m, op));
			});
		});
		main.textContent = "";
		order.forEach(function (tag) {
			var section = el("section", "group"), table;
			section.appendChild(el("h2", null, tag));
			table = el("table");
			groups[tag].forEach(function (tr) {
				table.appendChild(tr);
			});
			section.appendChild(table);
			main.appendChild(section);
		});
		main.appendChild(el("p", "params", "OpenAPI " + doc.openapi +
		    ", API version " + doc.info.version + "."));
	}

	function filter(text) {
		var q = text.trim().toLowerCase();
		document.querySelectorAll("tr.op").forEach(function (tr) {
			tr.classList.toggle("hidden",
			    q !== "" && tr.dataset.text.indexOf(q) < 0);
		});
		document.querySelectorAll("section.group").forEach(function (s) {
			s.classList.toggle("hidden",
			    s.querySelectorAll("tr.op:not(.hidden)").length === 0);
		});
	}

	document.addEventListener("DOMContentLoaded", function () {
		document.getElementById("filter").addEventListener("input",
		    function (e) { filter(e.target.value); });
		fetch("/api/docs/openapi.json", { headers: { Accept: "application/json" } })
		    .then(function (r) {
			if (!r.ok)
				throw new Error("HTTP " + r.status);
			return r.json();
		    })
		    .then(render)
		    .catch(function (err) {
			var s = document.getElementById("status");
			s.textContent = "Could not load the API description (" +
			    err.message + ").";
			s.className = "error";
		    });
	});
})();
