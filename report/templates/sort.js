(function () {
  "use strict";
  function key(td) { return td.getAttribute("data-sort") || td.textContent.trim(); }
  function sortBy(t, i, dir) {
    var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (x, y) {
      var a = key(x.cells[i]), b = key(y.cells[i]);
      return (a < b ? -1 : a > b ? 1 : 0) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    var ths = t.tHead.rows[0].cells;
    for (var j = 0; j < ths.length; j++) {
      ths[j].setAttribute("aria-sort", j === i ? (dir > 0 ? "ascending" : "descending") : "none");
    }
  }
  document.querySelectorAll("table.sortable").forEach(function (t) {
    Array.prototype.forEach.call(t.tHead.rows[0].cells, function (th, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", function () {
        sortBy(t, i, th.getAttribute("aria-sort") === "ascending" ? -1 : 1);
      });
    });
    var m = /^#sort=(\d+)(-?)$/.exec(location.hash);
    if (m && +m[1] < t.tHead.rows[0].cells.length) { sortBy(t, +m[1], m[2] ? -1 : 1); }
  });
})();
