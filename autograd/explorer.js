// The graph explorer's script (package data of autograd, inlined into each page by
// autograd/explorer.py, which replaces CONTAINER_ID). It reads the page's JSON, lays the
// graph out itself (a layered layout bounded in time: no Graphviz), draws it as SVG,
// and replays the backward pass step by step in the engine's order, so its gradients
// are the engine's to the last bit. Text reaches the screen through textContent only.
(function () {
  "use strict";
  var page = document.getElementById(CONTAINER_ID);
  var data = JSON.parse(page.querySelector("script.bpl-data").textContent);
  var nodes = data.nodes, steps = data.steps, groups = data.groups;
  var positions = steps.length + 1, N = nodes.length;
  var SVGNS = "http://www.w3.org/2000/svg";
  var svg = page.querySelector(".bpl-graph svg");
  var canvas = svg.querySelector("g.bpl-layer");
  var GAP = 210, SEP = 14, CHAR = 6.2, OP = 34, BUCKET = 64;  // GAP holds an edge label in a column

  // ---------------------------------------------------------------- facts of the graph
  var parentsOf = new Array(N), stepOf = new Int32Array(N);
  steps.forEach(function (step, s) {
    stepOf[step.node] = s;
    parentsOf[step.node] = step.sends.map(function (send) { return send[0]; });
  });
  var children = groups.map(function () { return 0; });
  groups.forEach(function (g) { if (g.parent >= 0) { children[g.parent] += 1; } });

  function fmt(x) {
    if (x === 0) { return "0.0000"; }
    var a = Math.abs(x);
    if (a >= 1e-3 && a < 1e5) { return x.toFixed(4); }
    return x.toExponential(3).replace(/e([+-])(\d)$/, "e$10$2");
  }
  function name(i) {
    var node = nodes[i];
    var what = node.op ? "'" + node.op + "' node" : "leaf";
    return node.label ? what + " '" + node.label + "'" : what + " (data " + fmt(node.data) + ")";
  }

  // ---------------------------------------------------------------- gradients
  // grads at `position`, kept up to date one step at a time; a jump replays from the
  // nearest checkpoint (one every `every` steps), so no step costs the whole pass.
  var every = Math.max(64, Math.ceil(Math.sqrt(positions))), checkpoints = {};
  var grads = new Float64Array(N), position = 0;
  checkpoints[0] = new Float64Array(N);
  function apply(g, s) {
    var step = steps[s];
    if (s === 0) { g[step.node] = data.seed; }
    for (var k = 0; k < step.sends.length; k++) {
      var send = step.sends[k];
      g[send[0]] = g[send[0]] + send[2];
    }
  }
  function gradsAt(k) {
    var base = Math.floor(k / every) * every;
    while (!checkpoints[base]) { base -= every; }
    var g = new Float64Array(checkpoints[base]);
    for (var s = base; s < k; s++) {
      apply(g, s);
      if ((s + 1) % every === 0 && !checkpoints[s + 1]) { checkpoints[s + 1] = new Float64Array(g); }
    }
    return g;
  }

  // ---------------------------------------------------------------- the view
  // Which groups are open decides the boxes: a Value shows as itself when every group
  // around it is open, else as the outermost closed group's box.
  var opened = {};
  function resetOpen() { opened = {}; data.open.forEach(function (j) { opened[j] = true; }); }
  resetOpen();
  var view = null;
  function shownBy() {
    var shown = new Int32Array(groups.length);
    for (var j = 0; j < groups.length; j++) {
      var above = groups[j].parent >= 0 ? shown[groups[j].parent] : -1;
      shown[j] = above >= 0 ? above : (opened[j] ? -1 : j);
    }
    return shown;
  }
  function buildView() {
    var shown = shownBy(), items = [], itemOf = new Int32Array(N).fill(-1), boxOf = {};
    for (var i = 0; i < N; i++) {
      if (nodes[i].drawn === false) { continue; }
      var g = nodes[i].group, box = g >= 0 ? shown[g] : -1;
      if (box >= 0) {
        if (boxOf[box] === undefined) {
          boxOf[box] = items.length;
          items.push({ kind: "group", group: box, members: [] });
        }
        items[boxOf[box]].members.push(i);
        itemOf[i] = boxOf[box];
      } else {
        itemOf[i] = items.length;
        items.push({ kind: "value", node: i });
      }
    }
    var edges = [], merged = {};
    for (i = 0; i < N; i++) {
      var to = itemOf[i];
      if (to < 0 || !parentsOf[i]) { continue; }
      parentsOf[i].forEach(function (p, k) {
        var from = itemOf[p];
        if (from < 0 || from === to) { return; }
        if (items[from].kind === "value" && items[to].kind === "value") {
          edges.push({ from: from, to: to, id: "e" + i + "_" + k, node: i, k: k });
        } else if (merged[from + "," + to] === undefined) {
          merged[from + "," + to] = edges.length;
          edges.push({ from: from, to: to, id: "eg" + from + "_" + to, count: 1 });
        } else {
          edges[merged[from + "," + to]].count += 1;
        }
      });
    }
    items.forEach(function (item) { item.size = sizeOf(item); });
    return { items: items, edges: edges, itemOf: itemOf };
  }
  function fields(i) {
    var node = nodes[i], out = [];
    if (node.label) { out.push(node.label); }
    out.push("data " + fmt(node.data), "grad " + fmt(grads[i]));
    return out;
  }
  function textWidth(text) { return Math.max(24, text.length * CHAR + 12); }
  function sizeOf(item) {
    if (item.kind === "group") {
      var g = groups[item.group];
      var lines = [g.title, g.size + " values: click to open", "grad sum -0.0000e+00"];
      return [Math.max.apply(null, lines.map(textWidth)), 52];
    }
    var i = item.node, width = 0;
    fields(i).forEach(function (text, k) { width += k === 0 && nodes[i].label ? textWidth(text) : textWidth("grad -0.0000e+00"); });
    return [width + (nodes[i].op ? OP + 10 : 0), 26];
  }

  // ---------------------------------------------------------------- the layout
  // Layers by longest path (items come in topological order; an edge back to an
  // earlier item is drawn but not used for layering), a few barycenter sweeps against
  // crossings, then each item placed near the mean height of its neighbours without
  // overlapping the one above it. O((items + edges) x sweeps): bounded for any graph.
  function layout(sizes, edges) {
    var n = sizes.length, preds = [], succs = [], v, k, l;
    for (v = 0; v < n; v++) { preds.push([]); succs.push([]); }
    edges.forEach(function (e) {
      if (e[0] < e[1]) { preds[e[1]].push(e[0]); succs[e[0]].push(e[1]); }
    });
    var layerOf = new Int32Array(n);
    for (v = 0; v < n; v++) {
      for (k = 0; k < preds[v].length; k++) { layerOf[v] = Math.max(layerOf[v], layerOf[preds[v][k]] + 1); }
    }
    for (v = n - 1; v >= 0; v--) {  // an input sits just before its first use
      if (!preds[v].length && succs[v].length) {
        var first = Infinity;
        for (k = 0; k < succs[v].length; k++) { first = Math.min(first, layerOf[succs[v][k]]); }
        layerOf[v] = Math.max(0, first - 1);
      }
    }
    var layers = [];
    for (v = 0; v < n; v++) {
      while (layers.length <= layerOf[v]) { layers.push([]); }
      layers[layerOf[v]].push(v);
    }
    var rank = new Float64Array(n);
    function number(list) { list.forEach(function (u, r) { rank[u] = (r + 0.5) / list.length; }); }
    layers.forEach(number);
    function sweep(l, neighbours) {
      var list = layers[l], key = {};
      list.forEach(function (u) {
        var near = neighbours[u];
        if (!near.length) { key[u] = rank[u]; return; }
        var total = 0;
        for (var m = 0; m < near.length; m++) { total += rank[near[m]]; }
        key[u] = total / near.length;
      });
      list.sort(function (a, b) { return key[a] - key[b] || a - b; });
      number(list);
    }
    for (var pass = 0; pass < 4; pass++) {
      for (l = 1; l < layers.length; l++) { sweep(l, preds); }
      for (l = layers.length - 2; l >= 0; l--) { sweep(l, succs); }
    }
    var x = new Float64Array(n), y = new Float64Array(n), left = 0;
    var columns = layers.map(function (list) {
      var width = 0;
      list.forEach(function (u) { width = Math.max(width, sizes[u][0]); });
      var column = { left: left, width: width };
      list.forEach(function (u) { x[u] = left; });
      left += width + GAP;
      return column;
    });
    layers.forEach(function (list) {  // stacked first, in order
      var top = 0;
      list.forEach(function (u) { y[u] = top; top += sizes[u][1] + SEP; });
    });
    for (pass = 0; pass < 2; pass++) {
      layers.forEach(function (list) {
        var want = list.map(function (u) {
          var near = preds[u].concat(succs[u]);
          if (!near.length) { return y[u]; }
          var total = 0;
          near.forEach(function (w) { total += y[w] + sizes[w][1] / 2; });
          return total / near.length - sizes[u][1] / 2;
        });
        var bottom = -Infinity, shift = 0;
        list.forEach(function (u, r) {
          y[u] = Math.max(want[r], bottom);
          bottom = y[u] + sizes[u][1] + SEP;
          shift += want[r] - y[u];
        });
        shift /= Math.max(1, list.length);
        list.forEach(function (u) { y[u] += shift; });  // a shift keeps the gaps
      });
    }
    return { x: Array.from(x), y: Array.from(y), layer: Array.from(layerOf), columns: columns };
  }

  // ---------------------------------------------------------------- drawing
  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    for (var a in attrs) { e.setAttribute(a, attrs[a]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function text(parent, x, y, content, cls) {
    var t = el("text", { x: x, y: y, "text-anchor": "middle" }, parent);
    if (cls) { t.setAttribute("class", cls); }
    t.textContent = content;
    return t;
  }
  var shapes = {}, gradTexts = {}, sumTexts = {}, placed = null, labelLayer = null;
  function draw() {
    view = buildView();
    placed = layout(view.items.map(function (it) { return it.size; }),
      view.edges.map(function (e) { return [e.from, e.to]; }));
    while (canvas.firstChild) { canvas.removeChild(canvas.firstChild); }
    shapes = {}; gradTexts = {}; sumTexts = {};
    var edgeLayer = el("g", {}, canvas), nodeLayer = el("g", {}, canvas);
    labelLayer = el("g", {}, canvas);
    // Elements in buckets of BUCKET: a change inside one makes the browser recompute
    // the bounds of one bucket and of the layer, not of every element drawn.
    var bucket = null;
    view.edges.forEach(function (e, n) {
      if (n % BUCKET === 0) { bucket = el("g", {}, edgeLayer); }
      drawEdge(bucket, e);
    });
    view.items.forEach(function (item, k) {
      if (k % BUCKET === 0) { bucket = el("g", {}, nodeLayer); }
      if (item.kind === "group") { drawGroup(bucket, item, k); } else { drawValue(bucket, item, k); }
    });
    refresh(null);
    fit();
  }
  function anchor(k, out) {
    var size = view.items[k].size;
    return [placed.x[k] + (out ? size[0] : 0), placed.y[k] + size[1] / 2];
  }
  function drawEdge(layer, e) {
    var a = anchor(e.from, true), b = anchor(e.to, false), bend = Math.max(30, Math.abs(b[0] - a[0]) / 2);
    var g = el("g", { "class": "edge" + (e.node === undefined ? " bpl-grouped" : ""), id: e.id }, layer);
    el("path", { d: "M" + a[0] + "," + a[1] + "C" + (a[0] + bend) + "," + a[1] + " " + (b[0] - bend) + "," + b[1] + " " + b[0] + "," + b[1] }, g);
    shapes[e.id] = g;
  }
  function drawValue(layer, item, k) {
    var i = item.node, x = placed.x[k], y = placed.y[k], size = item.size, h = size[1];
    if (nodes[i].op) {
      var op = el("g", { "class": "node", id: "op" + i }, layer);
      el("ellipse", { cx: x + OP / 2, cy: y + h / 2, rx: OP / 2, ry: h / 2 - 1 }, op);
      text(op, x + OP / 2, y + h / 2 + 4, data.symbols[nodes[i].op] || nodes[i].op);
      var link = el("g", { "class": "edge", id: "e" + i }, layer);
      el("path", { d: "M" + (x + OP) + "," + (y + h / 2) + "H" + (x + OP + 10) }, link);
      shapes["op" + i] = op; shapes["e" + i] = link;
      hover(op, i, -1);
      x += OP + 10;
    }
    var box = el("g", { "class": "node", id: "v" + i }, layer);
    var width = size[0] - (nodes[i].op ? OP + 10 : 0);
    el("rect", { x: x, y: y, width: width, height: h }, box);
    var parts = fields(i), cellX = x;
    parts.forEach(function (content, f) {
      var w = f === 0 && nodes[i].label ? textWidth(content) : textWidth("grad -0.0000e+00");
      if (f > 0) { el("line", { x1: cellX, y1: y, x2: cellX, y2: y + h }, box); }
      var t = text(box, cellX + w / 2, y + h / 2 + 4, content, f === parts.length - 1 ? "bpl-grad" : "");
      if (f === parts.length - 1) { gradTexts[i] = t; }
      cellX += w;
    });
    shapes["v" + i] = box;
    hover(box, i, -1);
    box.addEventListener("dblclick", function () { closeAround(i); });
  }
  function drawGroup(layer, item, k) {
    var j = item.group, g = groups[j], x = placed.x[k], y = placed.y[k], size = item.size;
    var box = el("g", { "class": "node bpl-group", id: "g" + j }, layer);
    el("rect", { x: x, y: y, width: size[0], height: size[1], rx: 6, ry: 6 }, box);
    text(box, x + size[0] / 2, y + 15, g.title, "bpl-gtitle");
    text(box, x + size[0] / 2, y + 30, g.size + " values: click to open");
    sumTexts[j] = text(box, x + size[0] / 2, y + 45, "", "bpl-gsum");
    shapes["g" + j] = box;
    hover(box, -1, j);
    box.addEventListener("click", function () { openGroup(j); });
  }

  // ---------------------------------------------------------------- stepping
  var carried = [];
  function itemElement(i) {
    var k = view.itemOf[i];
    if (k < 0) { return null; }
    var item = view.items[k];
    return item.kind === "group" ? shapes["g" + item.group] : shapes["v" + i];
  }
  function refresh(changed) {
    var dirty = {};
    function one(i) {
      var k = view.itemOf[i];
      if (k < 0) { return; }
      if (view.items[k].kind === "group") { dirty[k] = true; return; }
      gradTexts[i].textContent = "grad " + fmt(grads[i]);
      shapes["v" + i].classList.toggle("bpl-pending", stepOf[i] >= position);
    }
    if (changed === null) { for (var i = 0; i < N; i++) { one(i); } } else { changed.forEach(one); }
    Object.keys(dirty).forEach(function (k) {
      var item = view.items[k], total = 0;
      item.members.forEach(function (m) { total += grads[m]; });
      sumTexts[item.group].textContent = "grad sum " + fmt(total);
    });
  }
  function mark(on) {
    carried.forEach(function (t) { t.remove(); });
    carried = [];
    if (position === 0) { return; }
    var step = steps[position - 1], i = step.node, k = view.itemOf[i];
    if (k < 0) { return; }
    function toggle(e, cls) { if (e) { e.classList.toggle(cls, on); } }
    if (view.items[k].kind === "group") { toggle(shapes["g" + view.items[k].group], "bpl-current"); return; }
    toggle(shapes["v" + i], "bpl-current");
    toggle(shapes["op" + i], "bpl-current");
    toggle(shapes["e" + i], "bpl-sending");
    var labels = [];
    step.sends.forEach(function (send, s) {
      var edge = shapes["e" + i + "_" + s];
      toggle(edge, "bpl-sending");
      if (!edge || !on) { return; }
      var from = view.itemOf[send[0]], column = placed.columns[placed.layer[from]];
      labels.push({ x: column.left + column.width + 6, y: anchor(from, true)[1] - 4,
        text: fmt(send[1]) + " x " + fmt(step.grad) + " = " + fmt(send[2]) });
    });
    // Each label sits in the empty column right of its parent's layer (GAP is wider
    // than a label), stacked so that no two overlap.
    labels.slice().sort(function (a, b) { return a.x - b.x || a.y - b.y; }).forEach(function (label, n, sorted) {
      var before = sorted[n - 1];
      if (before && before.x === label.x && label.y < before.y + 13) { label.y = before.y + 13; }
    });
    labels.forEach(function (label) {
      var t = el("text", { "class": "bpl-carry", x: label.x, y: label.y }, labelLayer);
      t.textContent = label.text;
      carried.push(t);
    });
  }
  function show(k) {
    var target = Math.max(0, Math.min(positions - 1, Math.floor(k)));
    var previous = position;
    mark(false);
    if (target === previous + 1) {
      apply(grads, previous);
      position = target;
      var step = steps[previous];
      refresh([step.node].concat(step.sends.map(function (send) { return send[0]; })));
    } else if (target !== previous) {
      grads = gradsAt(target);
      position = target;
      refresh(null);
    }
    position = target;
    mark(true);
    page.querySelector(".bpl-position").textContent = "position " + position + " / " + (positions - 1);
    page.querySelector(".bpl-caption").textContent = caption(position);
    if (selected !== null) { info(selected[0], selected[1]); }
  }
  function groupOfItem(i) {
    var k = view.itemOf[i];
    return k >= 0 && view.items[k].kind === "group" ? view.items[k].group : -1;
  }
  function caption(k) {
    if (k === 0) {
      return "Position 0 of " + (positions - 1) + ": the forward pass is done, every " +
        "value holds its data and every grad is 0. Step forward to send the gradient " +
        "back from the root, one node at a time.";
    }
    var step = steps[k - 1], i = step.node, box = groupOfItem(i);
    var head = "Step " + k + " of " + (positions - 1) + ": ";
    if (box >= 0) { head += "inside the closed group '" + groups[box].name + "' (lit), "; }
    head += name(i) + " has its final grad " + fmt(step.grad);
    if (k === 1) { head += " (the seed of the backward pass)"; }
    if (nodes[i].drawn === false) { head += " (a folded input, not drawn)"; }
    if (!step.sends.length) { return head + ". It is a leaf: it sends nothing."; }
    return head + " and sends to each parent local derivative x its grad:\n" +
      step.sends.map(function (send) {
        return "  " + fmt(send[1]) + " x " + fmt(step.grad) + " = " + fmt(send[2]) +
          " added to " + name(send[0]);
      }).join("\n");
  }

  // ---------------------------------------------------------------- hover, groups, search
  var selected = null;
  function info(i, j) {
    selected = [i, j];
    var lines;
    if (j >= 0) {
      var item = view.items.find(function (it) { return it.group === j; }), total = 0;
      if (item) { item.members.forEach(function (m) { total += grads[m]; }); }
      lines = ["group   " + groups[j].name, "values  " + groups[j].size,
        "grad    " + String(total) + "   (the sum over the group at position " + position + ")",
        "click the box to open it; double-click a value inside to close it again"];
    } else {
      var node = nodes[i];
      lines = [(node.label ? "label   " + node.label + "\n" : "") +
        "op      " + (node.op || "(leaf: an input or a parameter)"),
        "data    " + String(node.data),
        "grad    " + String(grads[i]) + "   (at position " + position + ")"];
      if (node.group >= 0) { lines.push("group   " + groups[node.group].name); }
      var formula = data.formulas[node.op];
      if (formula) { lines.push("formula " + formula); }
      if (node.locals.length) {
        lines.push("local derivatives, one per parent: " +
          node.locals.map(function (x) { return fmt(x); }).join(", "));
      }
    }
    page.querySelector(".bpl-info").textContent = lines.join("\n");
    svg.querySelectorAll(".bpl-selected").forEach(function (e) { e.classList.remove("bpl-selected"); });
    var shape = j >= 0 ? shapes["g" + j] : shapes["v" + i];
    if (shape) { shape.classList.add("bpl-selected"); }
  }
  function hover(element, i, j) {
    element.addEventListener("mouseenter", function () { info(i, j); });
    if (j < 0) { element.addEventListener("click", function () { info(i, j); }); }
  }
  function redraw() { var keep = position; draw(); position = keep; mark(true); }
  function openGroup(j) {  // with the groups around it, so that it shows
    for (var g = j; g >= 0; g = groups[g].parent) { opened[g] = true; }
    redraw();
  }
  function closeAround(i) {
    var g = nodes[i].group;
    if (g < 0) { return; }
    delete opened[g];
    redraw();
  }
  function reveal(i) {
    for (var g = nodes[i].group; g >= 0; g = groups[g].parent) { opened[g] = true; }
    redraw();
    var k = view.itemOf[i];
    if (k < 0) { return; }
    var size = view.items[k].size;
    box = { x: placed.x[k] + size[0] / 2 - 400, y: placed.y[k] - 250, w: 800, h: 500 };
    setBox();
    svg.querySelectorAll(".bpl-found").forEach(function (e) { e.classList.remove("bpl-found"); });
    if (shapes["v" + i]) { shapes["v" + i].classList.add("bpl-found"); }
    info(i, -1);
  }
  var lastFound = -1;
  function find(query) {
    var q = String(query).toLowerCase();
    if (!q) { return -1; }
    for (var step = 1; step <= N; step++) {
      var i = (lastFound + step) % N, node = nodes[i];
      if (node.label.toLowerCase().indexOf(q) >= 0 || node.op.toLowerCase() === q) {
        lastFound = i;
        reveal(i);
        return i;
      }
    }
    page.querySelector(".bpl-info").textContent = "no value's label contains '" + query + "'";
    return -1;
  }

  // ---------------------------------------------------------------- zoom and pan
  var box = { x: 0, y: 0, w: 100, h: 100 };
  function setBox() { svg.setAttribute("viewBox", box.x + " " + box.y + " " + box.w + " " + box.h); }
  function fit() {
    var right = 0, bottom = 0, top = Infinity;
    view.items.forEach(function (item, k) {
      right = Math.max(right, placed.x[k] + item.size[0]);
      top = Math.min(top, placed.y[k]);
      bottom = Math.max(bottom, placed.y[k] + item.size[1]);
    });
    if (top === Infinity) { top = 0; }
    box = { x: -20, y: top - 30, w: right + 40 + GAP / 2, h: bottom - top + 60 };
    setBox();
  }
  function zoom(factor, cx, cy) {
    cx = cx === undefined ? box.x + box.w / 2 : cx;
    cy = cy === undefined ? box.y + box.h / 2 : cy;
    box = { x: cx - (cx - box.x) * factor, y: cy - (cy - box.y) * factor, w: box.w * factor, h: box.h * factor };
    setBox();
  }
  function toGraph(event) {
    var rect = svg.getBoundingClientRect(), scale = Math.max(box.w / rect.width, box.h / rect.height);
    var offX = (rect.width * scale - box.w) / 2, offY = (rect.height * scale - box.h) / 2;
    return [box.x - offX + (event.clientX - rect.left) * scale, box.y - offY + (event.clientY - rect.top) * scale, scale];
  }
  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var at = toGraph(event);
    zoom(event.deltaY > 0 ? 1.2 : 1 / 1.2, at[0], at[1]);
  }, { passive: false });
  var drag = null;
  svg.addEventListener("mousedown", function (event) { drag = [event.clientX, event.clientY, box.x, box.y, toGraph(event)[2]]; });
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (event) {
    if (!drag) { return; }
    box.x = drag[2] - (event.clientX - drag[0]) * drag[4];
    box.y = drag[3] - (event.clientY - drag[1]) * drag[4];
    setBox();
  });

  // ---------------------------------------------------------------- controls
  var timer = null;
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    page.querySelector(".bpl-play").textContent = "play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (position === positions - 1) { show(0); }
    var delay = Number(page.querySelector(".bpl-speed").value);
    page.querySelector(".bpl-play").textContent = "pause";
    timer = setInterval(function () {
      if (position >= positions - 1) { stop(); return; }
      show(position + 1);
    }, delay);
  }
  var actions = {
    first: function () { stop(); show(0); },
    prev: function () { stop(); show(position - 1); },
    next: function () { stop(); show(position + 1); },
    last: function () { stop(); show(positions - 1); },
    play: play,
    zoomin: function () { zoom(1 / 1.5); },
    zoomout: function () { zoom(1.5); },
    fit: fit,
    close: function () { resetOpen(); redraw(); },
    find: function () { find(page.querySelector(".bpl-search").value); }
  };
  page.querySelectorAll("button[data-go]").forEach(function (button) {
    button.addEventListener("click", function () { actions[button.dataset.go](); });
  });
  page.querySelector(".bpl-speed").addEventListener("change", function () {
    if (timer !== null) { stop(); play(); }
  });
  page.querySelector(".bpl-search").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); actions.find(); }
  });
  var keys = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last" };
  document.addEventListener("keydown", function (event) {
    var action = keys[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "SELECT" || target.tagName === "INPUT")) { return; }
    var alone = document.querySelectorAll(".bpl-page").length === 1;
    if (!alone && !page.contains(target)) { return; }
    event.preventDefault();
    actions[action]();
  });
  function groupIndex(groupName) {
    for (var j = 0; j < groups.length; j++) { if (groups[j].name === groupName) { return j; } }
    throw new RangeError("no group named '" + groupName + "'");
  }
  window.backproplab = {
    steps: positions,
    step: function (k) {
      if (typeof k !== "number" || !isFinite(k) || k < 0 || k >= positions || k % 1 !== 0) {
        throw new RangeError("step(k) needs an integer k from 0 to " + (positions - 1));
      }
      stop();
      show(k);
      return position;
    },
    state: function () {
      var sums = {};
      view.items.forEach(function (item) {
        if (item.kind !== "group") { return; }
        var total = 0;
        item.members.forEach(function (m) { total += grads[m]; });
        sums[groups[item.group].name] = total;
      });
      return {
        step: position,
        nodes: nodes.map(function (node, i) {
          return { id: "v" + i, label: node.label, op: node.op, data: node.data, grad: grads[i] };
        }),
        boxes: sums
      };
    },
    open: function (groupName) { openGroup(groupIndex(groupName)); },
    close: function (groupName) { delete opened[groupIndex(groupName)]; redraw(); },
    find: find,
    focus: function (groupName) {  // zoom to the boxes of one group
      var j = groupIndex(groupName), left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
      view.items.forEach(function (item, k) {
        var member = item.kind === "group" ? item.group : -1, node = item.kind === "value" ? item.node : item.members[0];
        for (var g = member >= 0 ? member : nodes[node].group; g >= 0; g = groups[g].parent) {
          if (g !== j) { continue; }
          left = Math.min(left, placed.x[k]); top = Math.min(top, placed.y[k]);
          right = Math.max(right, placed.x[k] + item.size[0]); bottom = Math.max(bottom, placed.y[k] + item.size[1]);
          return;
        }
      });
      if (left === Infinity) { return; }
      box = { x: left - 40, y: top - 40, w: right - left + 80 + GAP, h: bottom - top + 80 };
      setBox();
    },
    layout: layout
  };
  draw();
  show(0);
})();
