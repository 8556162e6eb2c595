// Forms that cannot be undone ask first: <form data-confirm="question">.
document.addEventListener("submit", function (event) {
  var form = event.target.closest ? event.target.closest("form[data-confirm]") : null;
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || (form && form.dataset.confirm);
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
