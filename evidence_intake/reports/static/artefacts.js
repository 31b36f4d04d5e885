/* evidence-intake artefact report: search, sorting, pages and the conversation view.
 *
 * Every row is already in the page, escaped by the generator. This script never builds HTML from
 * data: it only sets classes, moves existing rows and sets textContent. It is allowed by the report's
 * Content-Security-Policy through its SHA-256 hash; nothing else may run.
 *
 * Large tables stay usable because only one page of rows is ever laid out: a tiny script in the head
 * marks <html class="js"> before the rows arrive, the style sheet then hides every row not marked
 * "on", and this script marks the rows of the current page. Search and sorting work on all rows. */
(function () {
  "use strict";

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function norm(text) {
    return text.normalize("NFC").toLowerCase();
  }

  function sortKey(cell) {
    if (!cell) {
      return "";
    }
    if (cell.dataset.num !== undefined && cell.dataset.num !== "") {
      return Number(cell.dataset.num);
    }
    if (cell.dataset.sort !== undefined) {
      return cell.dataset.sort;
    }
    return cell.textContent.trim();
  }

  function compare(a, b) {
    var emptyA = a === "", emptyB = b === "";
    if (emptyA || emptyB) {
      return emptyA === emptyB ? 0 : (emptyA ? 1 : -1); // unknown values last
    }
    if (typeof a === "number" && typeof b === "number") {
      return a - b;
    }
    return collator.compare(String(a), String(b));
  }

  function RowTable(section) {
    var self = this;
    this.section = section;
    this.table = section.querySelector("table.rows");
    this.body = this.table.tBodies[0];
    this.rows = Array.prototype.slice.call(this.body.rows); // in page order
    this.texts = null; // lower-cased text of each row, computed on the first search
    this.matches = this.rows;
    this.shown = [];
    this.page = 0;
    this.input = section.querySelector("input.search");
    this.counter = section.querySelector(".shown");
    this.range = section.querySelector(".range");
    this.prev = section.querySelector("button.prev");
    this.next = section.querySelector("button.next");
    this.size = section.querySelector("select.size");
    this.banner = section.querySelector(".thread-banner");
    this.thread = null;
    this.sortCol = -1;
    this.sortDir = 1;
    this.timer = 0;
    if (this.input) {
      this.input.addEventListener("input", function () {
        window.clearTimeout(self.timer);
        self.timer = window.setTimeout(function () { self.apply(); }, 150);
      });
      this.input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          window.clearTimeout(self.timer);
          self.apply();
        }
      });
    }
    if (this.prev) {
      this.prev.addEventListener("click", function () { self.page--; self.render(); });
    }
    if (this.next) {
      this.next.addEventListener("click", function () { self.page++; self.render(); });
    }
    if (this.size) {
      this.size.addEventListener("change", function () { self.page = 0; self.render(); });
    }
    Array.prototype.forEach.call(this.table.tHead.querySelectorAll("button.sort"), function (button) {
      button.addEventListener("click", function () {
        self.sortBy(Number(button.dataset.col));
      });
    });
    var all = section.querySelector("button.all-messages");
    if (all) {
      all.addEventListener("click", function () { self.showThread(null, ""); });
    }
    this.render();
  }

  RowTable.prototype.textOf = function (i) {
    if (this.texts === null) {
      this.texts = this.rows.map(function (row) { return norm(row.textContent); });
    }
    return this.texts[i];
  };

  RowTable.prototype.pageSize = function () {
    var size = this.size ? Number(this.size.value) : 0;
    return size > 0 ? size : Math.max(this.matches.length, 1);
  };

  /* Recompute which rows match the search box and the conversation, then show the first page. */
  RowTable.prototype.apply = function () {
    var query = this.input ? norm(this.input.value.trim()) : "";
    var matches = [];
    for (var i = 0; i < this.rows.length; i++) {
      var row = this.rows[i];
      if ((this.thread === null || row.dataset.thread === this.thread) &&
          (query === "" || this.textOf(i).indexOf(query) !== -1)) {
        matches.push(row);
      }
    }
    this.matches = matches;
    this.page = 0;
    this.render();
  };

  RowTable.prototype.render = function () {
    var size = this.pageSize();
    var pages = Math.max(1, Math.ceil(this.matches.length / size));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var start = this.page * size;
    var end = Math.min(start + size, this.matches.length);
    var next = this.matches.slice(start, end);
    this.shown.forEach(function (row) { row.classList.remove("on"); });
    next.forEach(function (row) { row.classList.add("on"); });
    this.shown = next;
    if (this.counter) {
      this.counter.textContent = this.matches.length + " of " + this.rows.length + " match";
    }
    if (this.range) {
      this.range.textContent = end > start ? "rows " + (start + 1) + "\u2013" + end : "";
    }
    if (this.prev) {
      this.prev.disabled = this.page === 0;
    }
    if (this.next) {
      this.next.disabled = this.page >= pages - 1;
    }
  };

  RowTable.prototype.sortBy = function (col, direction) {
    var dir = direction || (this.sortCol === col ? -this.sortDir : 1);
    var texts = this.texts;
    var keyed = this.rows.map(function (row, i) { return [sortKey(row.cells[col]), i, row]; });
    keyed.sort(function (a, b) { return compare(a[0], b[0]) * dir || a[1] - b[1]; });
    this.rows = keyed.map(function (k) { return k[2]; });
    if (texts !== null) {
      this.texts = keyed.map(function (k) { return texts[k[1]]; });
    }
    var fragment = document.createDocumentFragment();
    this.rows.forEach(function (row) { fragment.appendChild(row); });
    this.body.appendChild(fragment);
    this.sortCol = col;
    this.sortDir = dir;
    Array.prototype.forEach.call(this.table.tHead.rows[0].cells, function (th, i) {
      if (i === col) {
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    this.apply();
  };

  RowTable.prototype.showThread = function (ref, label) {
    this.thread = ref;
    this.table.classList.toggle("chat", ref !== null);
    if (this.banner) {
      this.banner.hidden = ref === null;
      var name = this.banner.querySelector(".thread-name");
      if (name) {
        name.textContent = label;
      }
    }
    if (ref !== null) {
      this.sortBy(0, 1); // the first column of the messages table is the time: oldest first
      this.section.scrollIntoView();
    } else {
      this.apply();
    }
  };

  var tables = {};
  Array.prototype.forEach.call(document.querySelectorAll("section.kind"), function (section) {
    if (section.querySelector("table.rows")) {
      tables[section.id] = new RowTable(section);
    }
  });

  var messages = tables["kind-messages"];
  if (messages) {
    var labels = {};
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-thread-row]"), function (row) {
      labels[row.dataset.threadRow] = row.cells[0].textContent.trim() + " \u00b7 " + row.cells[1].textContent.trim();
    });
    document.addEventListener("click", function (event) {
      var target = event.target;
      var button = target && target.closest ? target.closest("button.open-thread") : null;
      if (button) {
        var ref = button.dataset.thread;
        messages.showThread(ref, labels[ref] || ref);
      }
    });
  }
})();
