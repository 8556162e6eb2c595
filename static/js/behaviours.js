// Small page behaviours declared in the markup, so that no page needs an inline script or event handler
// (the Content-Security-Policy allows scripts from our own files only):
//   <button data-print>            prints the page
//   <button data-copy="#id">        copies the text of #id to the clipboard
//   <select data-autosubmit>        sends its form when the choice changes
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-print], [data-copy]") : null;
  if (!button) return;
  if (button.hasAttribute("data-print")) {
    window.print();
  } else {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent);
  }
});
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) field.form.submit();
});
