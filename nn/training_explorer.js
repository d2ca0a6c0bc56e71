// The training explorer's script (package data of nn, inlined into each page by
// nn/explorer.py, which replaces CONTAINER_ID). Text reaches the screen through
// textContent only.
(function () {
  "use strict";
  var page = document.getElementById(CONTAINER_ID);
  var data = JSON.parse(page.querySelector("script.bpl-data").textContent);
  var frames = data.frames, index = 0, timer = null;
  var SVGNS = "http://www.w3.org/2000/svg";
  var POINT = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
               "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  var TINT = ["#d6e6f4", "#f6d4d4", "#d5efd5", "#e6dcf0", "#fde3c8",
              "#e6d8d3", "#f8dcee", "#d0f0f4", "#efefcc", "#e5e5e5"];
  var slider = page.querySelector(".bpl-slider");
  slider.max = String(frames.length - 1);

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, content, anchor) {
    var t = el("text", { x: x, y: y, "text-anchor": anchor || "start" }, parent);
    t.textContent = content;
    return t;
  }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }

  function drawBoundary(frame) {
    var canvas = page.querySelector(".bpl-boundary"), ctx = canvas.getContext("2d");
    var n = data.grid_size, w = canvas.width, h = canvas.height, box = data.box;
    // One pixel per lattice point, scaled up smoothly: the boundary shows as a soft edge.
    var small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    var sctx = small.getContext("2d"), pixels = sctx.createImageData(n, n);
    frame.grid.forEach(function (k, i) {
      var hex = TINT[k % TINT.length];
      for (var j = 0; j < 3; j++) {
        pixels.data[4 * i + j] = parseInt(hex.substr(1 + 2 * j, 2), 16);
      }
      pixels.data[4 * i + 3] = 255;
    });
    sctx.putImageData(pixels, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, w, h);
    function px(p) {
      return [(p[0] - box[0]) / (box[1] - box[0]) * w, (box[3] - p[1]) / (box[3] - box[2]) * h];
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#111";
    (data.points.train ? data.points.train.x : []).forEach(function (p, i) {
      var q = px(p);
      ctx.fillStyle = POINT[data.points.train.y[i] % POINT.length];
      ctx.beginPath();
      ctx.arc(q[0], q[1], 3.5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    });
    (data.points.test ? data.points.test.x : []).forEach(function (p, i) {
      var q = px(p);
      ctx.fillStyle = POINT[data.points.test.y[i] % POINT.length];
      ctx.beginPath();
      ctx.moveTo(q[0], q[1] - 5.5);
      ctx.lineTo(q[0] + 5, q[1] + 3.5);
      ctx.lineTo(q[0] - 5, q[1] + 3.5);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
    });
    var words = "epoch " + frame.epoch + ": dots are training points (accuracy " +
      pct(frame.train_accuracy) + ")";
    if (data.points.test) {
      words += ", triangles test points (accuracy " + pct(frame.test_accuracy) + ")";
    }
    page.querySelector(".bpl-boundary-caption").textContent = words +
      "; the background is the class the model predicts there.";
  }

  function drawCurves(frame) {
    var svg = page.querySelector(".bpl-curves");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var left = 48, right = 392, top = 14, bottom = 226;
    var loss = data.curves.loss || [], epochs = Math.max(loss.length, 1);
    var losses = loss.concat(data.curves.val_loss || []);
    var high = Math.max.apply(null, losses.concat([1e-12])), low = 0;
    function x(e) { return left + (right - left) * e / epochs; }
    function yLoss(v) { return bottom - (bottom - top) * (v - low) / (high - low); }
    function yAcc(v) { return bottom - (bottom - top) * v; }
    el("rect", { x: left, y: top, width: right - left, height: bottom - top,
                 fill: "none", stroke: "#bbb" }, svg);
    [0, 0.5, 1].forEach(function (f) {
      var v = low + f * (high - low);
      text(svg, left - 4, yLoss(v) + 4, v.toPrecision(3), "end");
      text(svg, right + 4, yAcc(f) + 4, pct(f), "start");
    });
    text(svg, left, bottom + 16, "0", "middle");
    text(svg, right, bottom + 16, String(epochs), "middle");
    text(svg, (left + right) / 2, bottom + 30, "epoch", "middle");
    function line(series, scale, color, dash, name) {
      if (!series || !series.length) { return; }
      var pts = series.map(function (v, i) { return x(i + 1) + "," + scale(v); }).join(" ");
      var attrs = { points: pts, fill: "none", stroke: color, "stroke-width": 1.8 };
      if (dash) { attrs["stroke-dasharray"] = "5,3"; }
      el("polyline", attrs, svg).setAttribute("class", "bpl-series-" + name);
    }
    line(data.curves.loss, yLoss, "#1f77b4", false, "loss");
    line(data.curves.val_loss, yLoss, "#ff7f0e", false, "val_loss");
    line(data.curves.accuracy, yAcc, "#1f77b4", true, "accuracy");
    line(data.curves.val_accuracy, yAcc, "#ff7f0e", true, "val_accuracy");
    var legend = [["train loss", "#1f77b4", false], ["train accuracy", "#1f77b4", true]];
    if (data.curves.val_loss) {
      legend.push(["validation loss", "#ff7f0e", false], ["validation accuracy", "#ff7f0e", true]);
    }
    legend.forEach(function (item, i) {
      var y = top + 40 + 14 * i, attrs = { x1: right - 150, x2: right - 130, y1: y, y2: y,
                                            stroke: item[1], "stroke-width": 2 };
      if (item[2]) { attrs["stroke-dasharray"] = "5,3"; }
      el("line", attrs, svg);
      text(svg, right - 126, y + 4, item[0]);
    });
    el("line", { x1: x(frame.epoch), x2: x(frame.epoch), y1: top, y2: bottom,
                 stroke: "#666", "stroke-width": 1.5, "class": "bpl-marker" }, svg);
  }

  function drawWeights(frame) {
    var svg = page.querySelector(".bpl-weights");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var rows = frame.weights, caption = page.querySelector(".bpl-weights-caption");
    if (!rows.length) {
      caption.textContent = "(this model has no first layer of neurons to show)";
      return;
    }
    var all = [];
    frames.forEach(function (f) {
      f.weights.forEach(function (row) { all = all.concat(row); });
    });
    var big = Math.max.apply(null, all.map(Math.abs).concat([1e-12]));
    var nr = rows.length, nc = rows[0].length;
    var size = Math.min(200 / nc, 220 / nr), x0 = 40, y0 = 20;
    rows.forEach(function (row, r) {
      row.forEach(function (w, c) {
        var t = Math.min(1, Math.abs(w) / big), base = w >= 0 ? [214, 39, 40] : [31, 119, 180];
        var rgb = base.map(function (b) { return Math.round(255 + (b - 255) * t); });
        var cell = el("rect", { x: x0 + c * size, y: y0 + r * size, width: size, height: size,
                                fill: "rgb(" + rgb.join(",") + ")", stroke: "#fff" }, svg);
        var tip = el("title", {}, cell);
        tip.textContent = "neuron " + r + ", input " + c + ": w = " + w;
      });
      text(svg, x0 - 4, y0 + (r + 0.5) * size + 4, "n" + r, "end");
    });
    for (var c = 0; c < nc; c++) {
      text(svg, x0 + (c + 0.5) * size, y0 - 6, "x" + (c + 1), "middle");
    }
    caption.textContent = "first layer's weights, one row per neuron (red > 0, blue < 0, " +
      "|w| up to " + big.toPrecision(3) + ")";
  }

  function show(i) {
    index = Math.max(0, Math.min(frames.length - 1, Math.floor(i)));
    var frame = frames[index];
    slider.value = String(index);
    var words = "epoch " + frame.epoch;
    if (frame.epoch > 0 && data.curves.loss) {
      words += ": loss " + data.curves.loss[frame.epoch - 1].toPrecision(4);
    }
    page.querySelector(".bpl-epoch").textContent = words;
    drawBoundary(frame);
    drawCurves(frame);
    drawWeights(frame);
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    page.querySelector(".bpl-play").textContent = "play";
  }
  page.querySelector(".bpl-play").addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (index === frames.length - 1) { show(0); }
    page.querySelector(".bpl-play").textContent = "pause";
    timer = setInterval(function () {
      if (index >= frames.length - 1) { stop(); return; }
      show(index + 1);
    }, 400);
  });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  window.backproplabTraining = {
    frames: frames.length,
    epochs: frames.map(function (f) { return f.epoch; }),
    show: function (i) {
      if (typeof i !== "number" || i % 1 !== 0 || i < 0 || i >= frames.length) {
        throw new RangeError("show(i) needs an integer i from 0 to " + (frames.length - 1));
      }
      stop();
      show(i);
      return index;
    },
    state: function () {
      var frame = frames[index];
      return { index: index, epoch: frame.epoch, grid: frame.grid, weights: frame.weights,
               train_accuracy: frame.train_accuracy, test_accuracy: frame.test_accuracy,
               marker: Number(page.querySelector(".bpl-marker").getAttribute("x1")) };
    }
  };
  show(0);
})();
