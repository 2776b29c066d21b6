// SPDX-License-Identifier: BSD-3-Clause
// heapview's spans and objects: for a trace of small objects, draws each
// span of the step as a grid of its objects (in use, with the ID holding
// it; free, on the span's free list; never handed out) and each large
// object as a bar, under heapview.js's drawing, which calls draw() (the
// model is tools/heapview_objects.py's). No library.
"use strict";

window.heapviewObjects = (function () {
  const W = 1200, L = 86, R = 24; // heapview.js's width and margins
  const CELL_H = 16, ROW_GAP = 2, LABEL_MIN = 7.2; // a cell's height; px per character
  const hex = (n) => "0x" + n.toString(16);
  const WORDS = { use: "in use", free: "free: on its span's free list",
    new: "never handed out (zero)" };

  let el; // heapview.js's SVG element maker, handed to draw

  // inUse answers bit i of a span's `used` bitmap (hex, most significant first).
  function inUse(used, i) {
    const k = used.length - 1 - (i >> 2);
    return k >= 0 && ((parseInt(used[k], 16) >> (i & 3)) & 1) === 1;
  }

  function state(sp, i) {
    return inUse(sp.used, i) ? "use" : i < sp.fresh ? "free" : "new";
  }

  // drawSpan draws span sp from y: a line of words, then its objects, per
  // to a row; answers the y below it.
  function drawSpan(g, sp, y, hit) {
    const per = sp.nobj > 128 ? 128 : Math.min(sp.nobj, 64), w = (W - L - R) / per;
    const names = new Map(sp.ids);
    const nfree = sp.fresh - sp.inuse, nnew = sp.nobj - sp.fresh;
    const sg = el("g", { class: "span", id: `span-${hex(sp.off)}`, "data-class": sp.cls,
      "data-size": sp.size, "data-nobj": sp.nobj }, g);
    el("text", { x: 8, y: y + 12, class: "spanhead" }, sg,
      `span ${hex(sp.off)} · class ${sp.cls} · ${sp.size} B objects · ` +
      `${hex(sp.bytes)} bytes, ${sp.nobj} objects: ${sp.inuse} in use, ${nfree} free, ` +
      `${nnew} never handed out`);
    y += 18;
    for (let i = 0; i < sp.nobj; i++) {
      const x0 = L + (i % per) * w, y0 = y + Math.floor(i / per) * (CELL_H + ROW_GAP);
      const st = state(sp, i), off = sp.off + i * sp.size, id = names.get(i);
      const og = el("g", { class: `obj ${st}`, id: `obj-${hex(off)}`, "data-state": st,
        "data-off": hex(off), "data-index": i }, sg);
      if (id !== undefined) og.setAttribute("data-id", id);
      og.info = { kind: "alloc", off, size: sp.size,
        id: `${id !== undefined ? id + ": " : ""}object ${i} of span ${hex(sp.off)}, ` +
          WORDS[st] };
      el("rect", { x: x0 + 0.5, y: y0, width: Math.max(w - 1, 1), height: CELL_H }, og);
      if (id !== undefined && id.length * LABEL_MIN + 4 <= w) {
        el("text", { x: x0 + w / 2, y: y0 + 12, class: "objlab" }, og, id);
      }
      if (hit === off) {
        el("rect", { x: x0 - 1, y: y0 - 1.5, width: w + 1, height: CELL_H + 3, class: "hl",
          id: "obj-hit" }, sg);
      }
    }
    return y + Math.ceil(sp.nobj / per) * (CELL_H + ROW_GAP) + 10;
  }

  function drawLarge(g, [off, bytes, id], y, hit) {
    const lg = el("g", { class: "obj large use", id: `large-${hex(off)}`, "data-off": hex(off),
      "data-size": hex(bytes) }, g);
    if (id) lg.setAttribute("data-id", id);
    lg.info = { kind: "alloc", off, size: bytes,
      id: `${id ? id + ": " : ""}a large object, pages straight from the pool` };
    el("text", { x: 8, y: y + 12, class: "spanhead" }, lg,
      `large ${hex(off)} · ${hex(bytes)} bytes${id ? " · " + id : ""}`);
    el("rect", { x: L, y: y + 18, width: W - L - R, height: CELL_H }, lg);
    if (hit === off) {
      el("rect", { x: L - 1.5, y: y + 16.5, width: W - L - R + 3, height: CELL_H + 3,
        class: "hl", id: "obj-hit" }, g);
    }
    return y + 18 + CELL_H + 10;
  }

  // draw draws step n's spans and objects from y0 in svg with make
  // (heapview.js's el); answers the y below them.
  function draw(svg, M, n, y0, make) {
    el = make;
    const st = M.steps[n], o = st.objects, g = el("g", { id: "objects" }, svg);
    const hit = st.effect && st.effect.obj !== undefined ? st.effect.obj : null;
    if (!o) {
      el("text", { x: 8, y: y0 + 14, class: "title" }, g, "spans and objects");
      el("text", { x: L, y: y0 + 38, class: "nil" }, g,
        "no objects heap yet: the trace's first malloc sets it up");
      return y0 + 50;
    }
    el("text", { x: 8, y: y0 + 14, class: "title" }, g,
      `spans and objects (${o.spans.length} span${o.spans.length === 1 ? "" : "s"}, ` +
      `${o.large.length} large object${o.large.length === 1 ? "" : "s"}; page map at ` +
      `${hex(o.pagemap[0])}, ${hex(o.pagemap[1])} bytes)`);
    const key = el("g", { class: "objkey" }, g);
    [["use", "in use (its ID)"], ["free", "free"], ["new", "never handed out"]].forEach(
      ([k, words], i) => {
        const kg = el("g", { class: `obj ${k}` }, key);
        el("rect", { x: L + i * 190, y: y0 + 24, width: 14, height: 12 }, kg);
        el("text", { x: L + i * 190 + 20, y: y0 + 34 }, kg, words);
      });
    let y = y0 + 46;
    for (const sp of o.spans) y = drawSpan(g, sp, y, hit);
    for (const lg of o.large) y = drawLarge(g, lg, y, hit);
    if (o.spans.length + o.large.length === 0) {
      el("text", { x: L, y: y + 12, class: "nil" }, g, "no span and no large object");
      y += 24;
    }
    return y;
  }

  // The effects that hand out bytes: heapview.js outlines them in the row after.
  return { draw, allocKinds: ["obj-alloc", "obj-large", "obj-in-place"] };
})();
