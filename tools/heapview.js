// SPDX-License-Identifier: BSD-3-Clause
// heapview's page: draws one step of the model tools/heapview.py embeds
// (the heap to scale before and after the operation, the free list as
// boxes and arrows) and steps with a slider and the arrow keys. No library.
"use strict";

(function () {
  const M = JSON.parse(document.getElementById("heapview-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const W = 1200, L = 86, R = 24; // the drawing's width and margins
  const ROW = { before: { y: 96, h: 30 }, after: { y: 170, h: 58 } };
  const LIST_Y = 330, BOX_W = 148, BOX_H = 58, GAP = 38, LIST_MAX = 60;
  const TREE_MAX = 63, TREE_LEVELS = 6;
  const OBJECTS = window.heapviewObjects; // a trace of small objects: its panel (heapview-objects.js)
  const ALLOC_KINDS = ["carve", "exact", "sbrk"].concat(OBJECTS ? OBJECTS.allocKinds : []);
  const last = M.steps.length - 1;
  if (M.source !== "steps") ROW.after.y = 110; // one row: no before
  const other = (s) => s.other || []; // bytes that are not the pool's
  // A loop, never Math.max(...list): spreading a list passes every element
  // as an argument, and 131,072 of them overflow the stack (RangeError).
  let top = M.granule;
  for (const s of M.steps) {
    top = Math.max(top, s.brk);
    for (const [off, size] of other(s)) top = Math.max(top, off + size);
  }
  const view = { step: 0, lo: 0, hi: top };
  const hex = (n) => "0x" + n.toString(16);

  function el(tag, attrs, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function html(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // colour gives each ID its own pastel hue, the same at every step.
  function colour(id) {
    if (id === "in use") return "hsl(220, 12%, 78%)";
    if (id === "not the pool's") return "hsl(0, 0%, 62%)";
    let h = 0;
    for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return `hsl(${(h * 137.5) % 360}, 60%, 76%)`;
  }

  // blocks answers a step's blocks in address order, free and allocated.
  function blocks(st) {
    const b = st.free.map(([off, size, next, made, said]) => ({ kind: "free", off, size, next, made,
      said: said || [hex(size), next === null ? "nil" : hex(next)] }));
    for (const [id, off, size, made] of st.alloc) b.push({ kind: "alloc", id, off, size, made });
    for (const [off, size] of other(st)) b.push({ kind: "other", id: "not the pool's", off, size });
    return b.sort((p, q) => p.off - q.off);
  }

  function x(off) {
    return L + ((off - view.lo) / (view.hi - view.lo)) * (W - L - R);
  }

  // span answers the on-screen [x0, width) of [off, off+size), at least
  // 2 units wide so that the smallest block stays visible.
  function span(off, size) {
    const x0 = Math.max(x(off), L - 2), x1 = Math.min(x(off + size), W - R + 2);
    return [x0, Math.max(x1 - x0, 2)];
  }

  function made(n) {
    if (n === null || n === undefined) {
      return M.source === "snapshot" ? "(a snapshot: not known)" : "—";
    }
    const st = M.steps[n];
    return `op ${n} (trace line ${st.line}): ${M.ops[n - 1]}`;
  }

  // label writes up to two lines inside a block, if they fit its width.
  function label(g, lines, x0, w, y, hgt, cls) {
    const fits = (s) => s.length * 7.6 + 8 <= w;
    if (hgt < 40 && fits(lines.join(" · "))) lines = [lines.join(" · ")];
    const fit = lines.filter((s, i) => fits(s) && (i === 0 || hgt >= 40));
    if (fit.length === 0 || fit[0] !== lines[0]) return;
    const step = 15, y0 = y + hgt / 2 - ((fit.length - 1) * step) / 2 + 4;
    fit.forEach((s, i) => el("text", { x: x0 + w / 2, y: y0 + i * step, class: cls }, g, s));
  }

  function drawBlock(g, row, b, prefix) {
    if (b.off + b.size <= view.lo || b.off >= view.hi) return;
    const [x0, w] = span(b.off, b.size);
    const attrs = { id: `${prefix}-${hex(b.off)}`, class: `blk ${b.kind}`, "data-kind": b.kind,
      "data-off": hex(b.off), "data-size": b.said ? b.said[0] : hex(b.size) };
    if (b.kind === "free") attrs["data-next"] = b.said[1];
    else attrs["data-id"] = b.id;
    const bg = el("g", attrs, g);
    bg.info = b;
    el("rect", { x: x0, y: row.y, width: w, height: row.h,
      fill: b.kind === "free" ? "url(#freefill)" : colour(b.id) }, bg);
    const lines = b.kind === "free"
      ? [`next ${b.said[1]}`, `size ${b.said[0]}`]
      : [b.id, hex(b.off)];
    label(bg, lines, x0, w, row.y, row.h, b.kind === "free" ? "lab free" : "lab");
  }

  function drawRow(svg, name, st, title) {
    const row = ROW[name], g = el("g", { id: name }, svg);
    el("text", { x: 8, y: row.y + row.h / 2 + 4, class: "rowname" }, g, title);
    el("rect", { x: L, y: row.y, width: W - L - R, height: row.h, class: "void" }, g);
    for (const b of blocks(st)) drawBlock(g, row, b, name);
    if (st.brk >= view.lo && st.brk <= view.hi) {
      const bx = x(st.brk);
      el("line", { x1: bx, x2: bx, y1: row.y - 8, y2: row.y + row.h + 8, class: "brk",
        id: `${name}-brk`, "data-off": hex(st.brk) }, g);
      const right = bx > W - R - 80; // near the edge: the label goes left of the line
      el("text", { x: right ? bx - 4 : bx + 4, y: row.y - 2, class: "brklab",
        "text-anchor": right ? "end" : "start" }, g, `brk ${hex(st.brk)}`);
    }
    return g;
  }

  // drawLinks draws each free block's next as an arrow under the row,
  // from the head pointer to the first block and on to nil.
  function drawLinks(svg, st) {
    const row = ROW.after, y = row.y + row.h;
    const g = el("g", { id: "links", "clip-path": "url(#clip)" }, svg);
    const free = st.free;
    const clampx = (v) => Math.max(Math.min(v, W - R), L);
    const into = (off) => clampx(x(off) + 5); // an arrow ends near a block's start
    const out = (off, size) => clampx(Math.min(x(off) + 16, x(off + size) - 2));
    const seen = (off) => off >= view.lo && off < view.hi;
    if (free.length > 0 && seen(free[0][0])) {
      el("path", { d: `M ${L - 30} ${y + 22} H ${into(free[0][0])} V ${y + 4}`, class: "link",
        "marker-end": "url(#arrow)", id: "head-link", "data-to": hex(free[0][0]) }, g);
    }
    for (const [off, size, next] of free) {
      const x1 = out(off, size);
      if (!seen(off) && (next === null || !seen(next))) continue;
      if (next === null) {
        el("path", { d: `M ${x1} ${y + 2} v 14 h 16`, class: "link" }, g);
        el("text", { x: x1 + 19, y: y + 20, class: "nil" }, g, "nil");
        continue;
      }
      const x2 = into(next), d = Math.min(70, 16 + Math.abs(x2 - x1) / 6);
      el("path", { d: `M ${x1} ${y + 2} C ${x1} ${y + d}, ${x2} ${y + d}, ${x2} ${y + 4}`,
        class: "link", "marker-end": "url(#arrow)", "data-from": hex(off), "data-to": hex(next) }, g);
    }
    el("text", { x: 8, y: y + 26, class: "rowname" }, svg, free.length ? "freelist" : "freelist nil");
  }

  function outline(g, off, size, row, cls) {
    if (off + size <= view.lo || off >= view.hi) return;
    const [x0, w] = span(off, size);
    el("rect", { x: x0 - 1.5, y: row.y - 1.5, width: w + 3, height: row.h + 3, class: cls }, g);
  }

  // drawHighlight outlines what the operation touched: in the row before
  // it the block it chose or the bytes it freed, in the row after it what
  // it handed out or the block the bytes joined.
  function drawHighlight(svg, prev, st) {
    const e = st.effect, g = el("g", { id: "highlight" }, svg);
    const find = (s, off) => s.free.find((b) => b[0] === off);
    const cls = e.kind === "refused" ? "hl refused" : "hl";
    if (e.range && ALLOC_KINDS.includes(e.kind)) {
      outline(g, e.range[0], e.range[1] - e.range[0], ROW.after, cls);
      const src = e.block !== null && e.block !== undefined ? find(prev, e.block) : null;
      if (src) outline(g, src[0], src[1], ROW.before, cls);
    } else if (e.range) {
      outline(g, e.range[0], e.range[1] - e.range[0], ROW.before, cls);
      const b = e.block !== undefined ? find(st, e.block) : null;
      if (b) outline(g, b[0], b[1], ROW.after, cls);
      else if (e.kind === "refused") outline(g, e.range[0], e.range[1] - e.range[0], ROW.after, cls);
    }
  }

  function drawAxis(svg) {
    const g = el("g", { id: "axis" }, svg), y = ROW.after.y - 22;
    let stepb = 1; // a power of two, about a tenth of the window
    while (stepb * 10 < view.hi - view.lo) stepb *= 2;
    for (let off = Math.ceil(view.lo / stepb) * stepb; off <= view.hi; off += stepb) {
      const tx = x(off);
      el("line", { x1: tx, x2: tx, y1: y + 4, y2: y + 10, class: "tick" }, g);
      el("text", { x: tx, y: y, class: "ticklab" }, g, hex(off));
    }
  }

  function drawOverview(svg, st) {
    const g = el("g", { id: "overview" }, svg), y = 34, hh = 12, w = W - L - R;
    const ox = (off) => L + (off / top) * w;
    el("text", { x: 8, y: y + 10, class: "rowname" }, g, "whole heap");
    el("rect", { x: L, y, width: w, height: hh, class: "void" }, g);
    for (const b of blocks(st)) {
      el("rect", { x: ox(b.off), y, width: Math.max(Math.min(ox(b.off + b.size), L + w) - ox(b.off), 1),
        height: hh,
        fill: b.kind === "free" ? "#9ad39a" : colour(b.id) }, g);
    }
    el("rect", { x: ox(view.lo), y: y - 3, width: Math.max(ox(view.hi) - ox(view.lo), 2),
      height: hh + 6, class: "window", id: "window-box" }, g);
    g.addEventListener("click", (ev) => {
      const p = toSvg(svg, ev), mid = ((p.x - L) / w) * top, half = (view.hi - view.lo) / 2;
      setWindow(mid - half, mid + half);
    });
  }

  // drawList draws the free list as it is linked: the header of every
  // block (its offset, next and size), one box each, not to scale.
  function drawList(svg, st) {
    const g = el("g", { id: "list" }, svg), e = st.effect;
    const per = Math.floor((W - L) / (BOX_W + GAP)), shown = st.free.slice(0, LIST_MAX);
    el("text", { x: 8, y: LIST_Y - 18, class: "title" }, g,
      `the free list, as linked (${st.free.length} block${st.free.length === 1 ? "" : "s"}; ` +
      "not to scale)");
    el("text", { x: 8, y: LIST_Y + BOX_H / 2 + 4, class: "rowname" }, g, "freelist →");
    const pos = (i) => [L + (i % per) * (BOX_W + GAP), LIST_Y + Math.floor(i / per) * (BOX_H + 30)];
    shown.forEach(([off, size, next, , said], i) => {
      const [ssize, snext] = said || [hex(size), next === null ? "nil" : hex(next)];
      const [bx, by] = pos(i), hit = e.block === off && !ALLOC_KINDS.includes(e.kind) ||
        (e.kind === "carve" && e.block === off);
      const b = el("g", { class: "box" + (hit ? " hit" : ""), id: `list-${hex(off)}`,
        "data-off": hex(off), "data-size": ssize,
        "data-next": snext }, g);
      b.info = { kind: "free", off, size, next, made: st.free[i][3], said: [ssize, snext] };
      el("rect", { x: bx, y: by, width: BOX_W, height: BOX_H, rx: 4 }, b);
      el("text", { x: bx + 8, y: by + 16, class: "boxhead" }, b, `block ${hex(off)}`);
      el("text", { x: bx + 8, y: by + 34 }, b, `next ${snext}`);
      el("text", { x: bx + 8, y: by + 50 }, b, `size ${ssize}`);
      const [nx, ny] = pos(i + 1);
      if (next === null) {
        el("text", { x: bx + BOX_W + 6, y: by + 34, class: "nil" }, g, "→ nil");
      } else if (i + 1 < shown.length && ny === by) {
        el("line", { x1: bx + BOX_W, y1: by + 30, x2: nx - 3, y2: ny + 30, class: "link",
          "marker-end": "url(#arrow)" }, g);
      } else if (i + 1 < shown.length) {
        el("path", { d: `M ${bx + BOX_W} ${by + 30} h 12 V ${ny - 12} H ${nx + 20} V ${ny - 3}`,
          class: "link", "marker-end": "url(#arrow)" }, g);
      }
    });
    if (st.free.length > LIST_MAX) {
      const [bx, by] = pos(LIST_MAX);
      el("text", { x: bx, y: by + 34 }, g, `… and ${st.free.length - LIST_MAX} more`);
    }
    if (st.free.length === 0) {
      el("text", { x: L, y: LIST_Y + 34, class: "nil" }, g, "nil (no free block)");
    }
    const rows = Math.ceil(Math.min(st.free.length + 1, LIST_MAX + 1) / per);
    return LIST_Y + rows * (BOX_H + 30);
  }

  // drawTree draws a snapshot's placement index: each node a free block,
  // its subtree's largest size beside it.
  function drawTree(svg, tree, y0, e) {
    if (!tree || !tree.nodes) return y0;
    const nodes = new Map(tree.nodes.map((n) => [n.offset, n]));
    let order = [];
    const g = el("g", { id: "tree" }, svg);
    el("text", { x: 8, y: y0 + 10, class: "title" }, g,
      `the placement index, the same blocks by address (${tree.nodes.length} node` +
      `${tree.nodes.length === 1 ? "" : "s"}; each: block, size · the largest size in its subtree)`);
    const walk = (off, depth, seen) => {
      const n = nodes.get(off);
      if (!n || seen.has(off) || depth > 40) return;
      seen.add(off);
      walk(n.left, depth + 1, seen);
      order.push([n, depth]);
      walk(n.right, depth + 1, seen);
    };
    walk(tree.root, 0, new Set());
    if (order.length === 0) {
      el("text", { x: L, y: y0 + 36, class: "nil" }, g, "root nil (no free block)");
      return y0 + 50;
    }
    const deep = order.length > TREE_MAX; // then only the top levels are drawn
    if (deep) order = order.filter(([, d]) => d < TREE_LEVELS);
    if (deep) el("text", { x: W - R, y: y0 + 10, class: "rowname", "text-anchor": "end" }, g,
      `only its top ${TREE_LEVELS} levels are drawn`);
    const at = new Map(), dx = Math.min(170, (W - L) / Math.max(order.length, 1));
    order.forEach(([n, d], i) => at.set(n.offset, [L + dx * i + dx / 2, y0 + 40 + d * 58]));
    for (const [n] of order) {
      for (const c of [n.left, n.right]) {
        if (at.has(c)) {
          const [px, py] = at.get(n.offset), [cx, cy] = at.get(c);
          el("line", { x1: px, y1: py + 14, x2: cx, y2: cy - 14, class: "tree-edge" }, g);
        }
      }
    }
    for (const [n] of order) {
      const [cx, cy] = at.get(n.offset);
      const hit = e.block !== null && e.block !== undefined && hex(e.block) === n.offset;
      const ng = el("g", { class: "node" + (hit ? " hit" : ""), id: `node-${n.offset}`,
        "data-off": n.offset, "data-left": n.left || "nil", "data-right": n.right || "nil",
        "data-max": n.max }, g);
      el("rect", { x: cx - dx / 2 + 4, y: cy - 14, width: dx - 8, height: 30, rx: 6 }, ng);
      el("text", { x: cx, y: cy - 1, class: "lab" }, ng, n.offset);
      el("text", { x: cx, y: cy + 12, class: "lab small" }, ng, `${n.size} · max ${n.max}`);
    }
    const depth = order.reduce((most, [, d]) => Math.max(most, d), 0);
    return y0 + 60 + (depth + 1) * 58;
  }

  function defs(svg) {
    const d = el("defs", {}, svg);
    const m = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
      markerHeight: 7, orient: "auto-start-reverse" }, d);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }, m);
    const p = el("pattern", { id: "freefill", width: 8, height: 8, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" }, d);
    el("rect", { width: 8, height: 8, fill: "#d9f0d3" }, p);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 8, stroke: "#b5dfae", "stroke-width": 3 }, p);
    const c = el("clipPath", { id: "clip" }, d);
    el("rect", { x: L - 40, y: 0, width: W - L - R + 44, height: 2000 }, c);
  }

  function toSvg(svg, ev) {
    const r = svg.getBoundingClientRect();
    return { x: ((ev.clientX - r.left) / r.width) * W, y: ev.clientY - r.top };
  }

  function draw() {
    const st = M.steps[view.step], prev = M.steps[Math.max(view.step - 1, 0)];
    const svg = document.getElementById("heap");
    svg.replaceChildren();
    defs(svg);
    drawOverview(svg, st);
    drawAxis(svg);
    if (M.source === "steps") drawRow(svg, "before", prev, view.step ? "before" : "start");
    drawRow(svg, "after", st, M.source !== "steps" ? "now" : st.broken ? `after op ${view.step} ✗`
      : `after op ${view.step}`);
    drawLinks(svg, st);
    drawHighlight(svg, prev, st);
    let h = drawList(svg, st);
    h = drawTree(svg, st.tree, h + 10, st.effect);
    if (OBJECTS) h = OBJECTS.draw(svg, M, view.step, h + 10, el);
    svg.setAttribute("viewBox", `0 0 ${W} ${h + 10}`);
    svg.setAttribute("data-step", view.step);
    describe(st);
  }

  function describe(st) {
    const n = view.step, e = st.effect;
    document.getElementById("stepno").textContent =
      M.source === "steps" ? `step ${n} of ${last}` : "snapshot";
    document.getElementById("slider").value = n;
    const op = document.getElementById("op");
    op.replaceChildren();
    if (n > 0) {
      html("span", { class: "opname" }, op, `op ${n}, trace line ${st.line}: `);
      html("code", {}, op, M.ops[n - 1]);
      if (st.printed.length) {
        html("span", {}, op, "  →  ");
        html("code", {}, op, st.printed.join("; "));
      }
    } else {
      html("span", { class: "opname" }, op,
        M.source === "steps" ? "before the first operation" : M.title);
    }
    const eff = document.getElementById("effect");
    eff.className = `effect ${e.kind}`;
    eff.setAttribute("data-kind", e.kind);
    eff.textContent = e.text + (n === last && M.stop ? `  — then ${M.stop}` : "");
    document.getElementById("range").textContent =
      `showing [${hex(Math.round(view.lo))}, ${hex(Math.round(view.hi))})`;
  }

  function show(n) {
    view.step = Math.max(0, Math.min(last, n));
    draw();
  }

  function setWindow(lo, hi) {
    const span = Math.min(Math.max(hi - lo, M.granule), top);
    lo = Math.max(0, Math.min(lo, top - span));
    view.lo = lo;
    view.hi = lo + span;
    draw();
  }

  function zoom(f, at) {
    const mid = at === undefined ? (view.lo + view.hi) / 2 : at, s = (view.hi - view.lo) * f;
    const t = (mid - view.lo) / (view.hi - view.lo);
    setWindow(mid - s * t, mid - s * t + s);
  }

  // zoomOp fits the window to what the current operation touched.
  function zoomOp() {
    const r = M.steps[view.step].effect.range;
    if (!r) return setWindow(0, top);
    const pad = Math.max((r[1] - r[0]) / 2, M.granule);
    setWindow(r[0] - pad, r[1] + pad);
  }

  function tip(ev) {
    const t = document.getElementById("tip");
    let g = ev.target;
    while (g && !g.info) g = g.parentNode;
    if (!g) {
      t.hidden = true;
      return;
    }
    const b = g.info, rows = [];
    if (b.kind === "free") {
      rows.push(["free block", ""], ["offset", hex(b.off)], ["size", b.said[0] === hex(b.size)
        ? `${hex(b.size)} (${b.size} B)` : b.said[0]],
        ["next", b.next === null ? "nil (the last)" : b.said[1]], ["made by", made(b.made)]);
    } else {
      rows.push([b.kind === "other" ? "another client of the break's bytes: not the pool's"
        : b.id === "in use" ? "in use" : `ID ${b.id}`, ""], ["offset", hex(b.off)],
        ["size", `${hex(b.size)} (${b.size} B)`], ["made by", made(b.made)]);
    }
    t.replaceChildren();
    for (const [k, v] of rows) {
      const r = html("div", {}, t);
      html("b", {}, r, k);
      if (v) html("span", {}, r, " " + v);
    }
    t.hidden = false;
    t.style.left = Math.min(ev.pageX + 14, window.innerWidth - 320) + "px";
    t.style.top = ev.pageY + 14 + "px";
  }

  function panning(svg) {
    let from = null;
    svg.addEventListener("mousedown", (ev) => {
      from = { x: toSvg(svg, ev).x, lo: view.lo, hi: view.hi };
    });
    window.addEventListener("mouseup", () => (from = null));
    svg.addEventListener("mousemove", (ev) => {
      if (!from || !(ev.buttons & 1)) return tip(ev);
      const d = ((toSvg(svg, ev).x - from.x) / (W - L - R)) * (from.hi - from.lo);
      if (Math.abs(d) > 0) setWindow(from.lo - d, from.hi - d);
    });
    svg.addEventListener("mouseleave", () => (document.getElementById("tip").hidden = true));
    svg.addEventListener("wheel", (ev) => {
      const p = toSvg(svg, ev);
      if (p.x < L || p.x > W - R) return;
      ev.preventDefault();
      zoom(ev.deltaY < 0 ? 0.8 : 1.25, view.lo + ((p.x - L) / (W - L - R)) * (view.hi - view.lo));
    }, { passive: false });
  }

  function keys(ev) {
    if (ev.target.id === "slider" && ["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) {
      return; // the slider moves itself and fires input
    }
    const act = { ArrowRight: () => show(view.step + 1), ArrowLeft: () => show(view.step - 1),
      Home: () => show(0), End: () => show(last), "+": () => zoom(0.5), "=": () => zoom(0.5),
      "-": () => zoom(2), "0": () => setWindow(0, top), z: zoomOp }[ev.key];
    if (act) {
      ev.preventDefault();
      act();
    }
  }

  function button(parent, id, text, title, fn) {
    const b = html("button", { id, title, type: "button" }, parent, text);
    b.addEventListener("click", fn);
    return b;
  }

  function page() {
    const body = document.body;
    const head = html("header", {}, body);
    html("h1", {}, head, `heapview: ${M.title}`);
    const sub = M.source === "steps"
      ? `replay of ${M.title}: ${last} operations, granule ${hex(M.granule)}, ` +
        `heap ${hex(M.heap)} bytes. `
      : `gdb snapshot of ${M.snapshot.pool} (${M.snapshot.arch}), granule ${hex(M.granule)}, ` +
        "a heap of " +
        `${hex(M.heap)} bytes at ${M.snapshot.start}. `;
    html("p", { class: "sub" }, head, sub + "Every number below is an offset from the heap's start.");
    if (M.stop) { // the page opens at the step of the operation that broke the check
      const p = html("p", { id: "stop", class: "stop" }, head,
        M.stop[0].toUpperCase() + M.stop.slice(1) + ". ");
      const go = html("button", { type: "button", id: "gostop" }, p,
        M.steps[last].broken ? `show op ${last}, the heap as it left it` : "show the last step");
      go.addEventListener("click", () => show(last));
    }
    const c = html("nav", { id: "controls" }, body);
    button(c, "prev", "◀", "previous operation (←)", () => show(view.step - 1));
    const s = html("input", { id: "slider", type: "range", min: 0, max: last, value: 0, step: 1,
      "aria-label": "operation" }, c);
    s.addEventListener("input", () => show(Number(s.value)));
    if (M.source !== "steps") c.classList.add("snapshot"); // nothing to step through
    button(c, "next", "▶", "next operation (→)", () => show(view.step + 1));
    html("span", { id: "stepno" }, c);
    const z = html("span", { class: "zoom" }, c, "zoom ");
    button(z, "zoomout", "−", "zoom out (-)", () => zoom(2));
    button(z, "zoomin", "+", "zoom in (+; or the mouse wheel over the heap)", () => zoom(0.5));
    button(z, "zoomop", "this op", "zoom to what this operation touched (z)", zoomOp);
    button(z, "zoomfit", "whole heap", "show the whole heap (0)", () => setWindow(0, top));
    html("span", { id: "range" }, z);
    html("div", { id: "op" }, body);
    html("div", { id: "effect", role: "status" }, body);
    const svg = el("svg", { id: "heap", viewBox: `0 0 ${W} 600`, width: "100%" }, body);
    panning(svg);
    if (M.snapshot) snapshotFacts(body);
    const lg = html("footer", {}, body);
    html("span", { class: "key free" }, lg, "free block: its header (next, size)");
    html("span", { class: "key alloc" }, lg, "allocated: its ID and offset");
    if (M.steps.some((st) => other(st).length > 0)) {
      html("span", { class: "key other" }, lg, "not the pool's: another client of the break's");
    }
    html("span", { class: "key hl" }, lg, "what this operation touched");
    html("span", { class: "key brk" }, lg, "the break");
    html("p", {}, lg, "Keys: ← → one operation, Home / End, + − zoom, 0 whole heap, z zoom to the " +
      "operation; drag the heap to pan, hover a block for its details. Nothing here is fetched: " +
      "the page is one file.");
    html("div", { id: "tip", hidden: "" }, body);
    document.addEventListener("keydown", keys);
  }

  function snapshotFacts(body) {
    const s = M.snapshot, dl = html("dl", { id: "facts" }, body);
    const lock = !s.lock ? "none (host)"
      : s.lock.locked ? `held by cpu ${s.lock.cpu} at ${s.lock.where}` : "free";
    const rows = [["pool", s.pool], ["arch", s.arch], ["heap start", s.start],
      ["break", `${s.break} (+${hex(M.steps[0].brk)})`],
      ["granule", s.granule], ["in use", s.inuse], ["taken", s.taken], ["lock", lock]];
    if (s.walk_error) rows.push(["walk stopped", s.walk_error]);
    for (const [k, v] of rows) {
      html("dt", {}, dl, k);
      html("dd", {}, dl, String(v));
    }
  }

  page();
  show(M.stop ? last : 0);
  window.heapview = { show, zoom, setWindow, model: M, view };
})();
