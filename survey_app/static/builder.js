// The builder's preview follows the form as it is edited: half a second after the last change the form is posted
// to the preview frame through its Preview button (that button's formaction and formtarget), exactly as a click
// on it does where scripts are off. Nothing is saved by a preview.
(function () {
  var button = document.getElementById("preview-button");
  if (!button || !button.form.requestSubmit) return;
  var form = button.form, timer = 0;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(button); }, 500);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
