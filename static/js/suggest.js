/* Autocomplete for the search form (issue #20). A <datalist data-suggest="plaats" data-url="...">
   starts empty; as the person types in an input that uses it, it is filled with at most ten
   names from the server. Choosing one of them submits the search. Without JavaScript the field is
   plain text and the server checks it. No libraries: the browser's own datalist is the list, so
   keyboard and screen readers work as with any combobox. */
(function () {
  "use strict";

  function optionsOf(list) {
    return Array.prototype.map.call(list.options, function (option) { return option.value; });
  }

  function attach(list) {
    var inputs = document.querySelectorAll('input[list="' + list.id + '"]');
    Array.prototype.forEach.call(inputs, function (input) {
      var timer = null;
      var asked = null;
      var pending = null;
      input.setAttribute("autocomplete", "off"); // the datalist, not the browser's history
      input.addEventListener("input", function (event) {
        var chosen = event.inputType === "insertReplacementText" || event.inputType === undefined;
        if (chosen && optionsOf(list).indexOf(input.value) !== -1) {
          if (input.form) {
            if (input.form.requestSubmit) { input.form.requestSubmit(); } else { input.form.submit(); }
          }
          return;
        }
        var typed = input.value.trim();
        window.clearTimeout(timer);
        if (typed.length < 2 || typed === asked) { return; }
        timer = window.setTimeout(function () {
          asked = typed;
          if (pending) { pending.abort(); }
          pending = new AbortController();
          var url = list.dataset.url + "?veld=" + encodeURIComponent(list.dataset.suggest) +
            "&q=" + encodeURIComponent(typed);
          fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : []; })
            .then(function (names) {
              var options = names.map(function (name) {
                var option = document.createElement("option");
                option.value = name;
                return option;
              });
              list.replaceChildren.apply(list, options);
            })
            .catch(function () { /* typing on: a newer request replaced this one */ });
        }, 150);
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("datalist[data-suggest]"), attach);
})();
