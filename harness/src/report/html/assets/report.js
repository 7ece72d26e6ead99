(function () {
  'use strict';
  var panel = document.getElementById('panel');
  var body = document.getElementById('panel-body');
  function openDetail(id) {
    var d = document.getElementById(id);
    if (!d || !panel || typeof panel.showModal !== 'function') return false;
    var content = d.querySelector('.detail-body');
    if (!content) return false;
    var copy = content.cloneNode(true);
    copy.querySelectorAll('.log-slot').forEach(function (slot) {
      var log = document.getElementById(slot.getAttribute('data-log'));
      if (!log) return;
      var c = log.cloneNode(true);
      c.removeAttribute('id');
      c.open = false;
      slot.replaceWith(c);
    });
    body.replaceChildren(copy);
    panel.dataset.detail = id;
    if (!panel.open) panel.showModal();
    panel.scrollTop = 0;
    return true;
  }
  function revealLog(id) {
    var t = id && document.getElementById(id);
    if (t && t.tagName === 'DETAILS') t.open = true;
  }
  document.addEventListener('click', function (e) {
    var a = e.target instanceof Element ? e.target.closest('a[data-detail]') : null;
    if (a && openDetail(a.getAttribute('data-detail'))) {
      e.preventDefault();
      history.replaceState(null, '', '#' + a.getAttribute('data-detail'));
      return;
    }
    var link = e.target instanceof Element ? e.target.closest('a[href^="#"]') : null;
    if (link) {
      if (panel.open) panel.close();
      revealLog(link.getAttribute('href').slice(1));
    }
  });
  panel.addEventListener('click', function (e) { if (e.target === panel) panel.close(); });
  panel.addEventListener('close', function () {
    if (location.hash.indexOf('#d-') === 0) history.replaceState(null, '', location.pathname + location.search);
  });
  window.addEventListener('hashchange', function () {
    var id = location.hash.slice(1);
    if (id.indexOf('d-') === 0) openDetail(id); else revealLog(id);
  });
  var start = location.hash.slice(1);
  if (start.indexOf('d-') === 0 && document.getElementById(start)) {
    // Keep the page at the top behind the panel: drop the fragment before
    // the browser scrolls to it, and put it back once loading is done.
    history.replaceState(null, '', location.pathname + location.search);
    openDetail(start);
    window.addEventListener('load', function () {
      setTimeout(function () { if (panel.open) history.replaceState(null, '', '#' + start); }, 0);
    });
  } else {
    revealLog(start);
  }
  document.body.dataset.ready = '1';
})();
