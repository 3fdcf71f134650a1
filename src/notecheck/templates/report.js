(function () {
  var list = document.getElementById('cards');
  var cards = Array.prototype.slice.call(list.querySelectorAll('article.card'));
  var names = ['status', 'code', 'element', 'flag'];
  var keys = {status: 'status', code: 'codes', element: 'missing', flag: 'flags'};
  var select = {};
  names.concat(['sort']).forEach(function (n) { select[n] = document.getElementById('f-' + n); });
  cards.forEach(function (c, i) { c.dataset.order = i; });

  function matches(card, name) {
    var want = select[name].value;
    return !want || card.dataset[keys[name]].split(' ').indexOf(want) >= 0;
  }
  function filter() {
    var shown = 0;
    cards.forEach(function (c) {
      var ok = names.every(function (n) { return matches(c, n); });
      c.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown + ' of ' + cards.length + ' notes';
  }
  function score(c, missing) { return c.dataset.score === '' ? missing : Number(c.dataset.score); }
  var orders = {
    worst: function (a, b) { return a.dataset.order - b.dataset.order; },
    low: function (a, b) { return score(a, Infinity) - score(b, Infinity) || a.dataset.order - b.dataset.order; },
    high: function (a, b) { return score(b, -Infinity) - score(a, -Infinity) || a.dataset.order - b.dataset.order; },
    id: function (a, b) { return a.dataset.id.localeCompare(b.dataset.id); }
  };
  function byColumn(key) {  // a pass-through column (--keep-col): empty values last
    return function (a, b) {
      var x = a.dataset[key] || '', y = b.dataset[key] || '';
      return (x === '') - (y === '') || x.localeCompare(y) || a.dataset.order - b.dataset.order;
    };
  }
  function sort() {
    var order = orders[select.sort.value] || byColumn(select.sort.value);
    cards.slice().sort(order).forEach(function (c) { list.appendChild(c); });
  }

  names.forEach(function (n) { select[n].addEventListener('change', filter); });
  select.sort.addEventListener('change', sort);
  document.getElementById('f-reset').addEventListener('click', function () {
    names.forEach(function (n) { select[n].value = ''; });
    filter();
  });
  var texts = document.getElementById('f-texts');
  if (texts) {
    texts.addEventListener('click', function () {
      var open = texts.getAttribute('aria-pressed') !== 'true';
      Array.prototype.forEach.call(list.querySelectorAll('details.note'), function (d) { d.open = open; });
      texts.setAttribute('aria-pressed', open ? 'true' : 'false');
      texts.textContent = open ? 'fold note texts' : 'unfold note texts';
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('[data-f-status],[data-f-code],[data-f-element],[data-f-flag]'), function (el) {
    el.addEventListener('click', function () {
      names.forEach(function (n) {
        var want = el.getAttribute('data-f-' + n) || '';
        var known = Array.prototype.some.call(select[n].options, function (o) { return o.value === want; });
        select[n].value = known ? want : '';
      });
      filter();
      list.scrollIntoView();
    });
  });
})();
