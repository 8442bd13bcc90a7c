// Loaded between require.js and the widget renderer (embed-amd.js) on pages with widgets.
(function () {
  // The renderer finds its font files beside the module that asked for them; without a path it looks
  // beside the page. Point it at the local copy (this script sits in the same folder as html-manager/).
  var here = document.currentScript.src;
  var folder = here.slice(0, here.lastIndexOf("/") + 1);
  window.requirejs.config({ paths: { "@jupyter-widgets/html-manager/dist": folder + "html-manager" } });

  // Widget labels are typeset with MathJax 2's call, MathJax.Hub.Queue(["Typeset", MathJax.Hub, el]);
  // the site loads MathJax 3, which has no Hub: map the call to MathJax 3's typesetPromise.
  var hub = {
    Queue: function (call) {
      var element = Array.isArray(call) ? call[2] : undefined;
      if (element && window.MathJax && window.MathJax.typesetPromise) {
        window.MathJax.typesetPromise([element]);
      }
    },
  };
  var config = window.MathJax;
  if (config && !config.version) {
    // MathJax is not loaded yet (it is deferred): only its configuration is there. MathJax replaces the
    // object when it starts, so add the Hub again once it is ready.
    config.Hub = hub;
    config.startup = config.startup || {};
    var ready = config.startup.ready;
    config.startup.ready = function () {
      if (ready) ready();
      else window.MathJax.startup.defaultReady();
      window.MathJax.Hub = hub;
    };
  } else if (config) {
    config.Hub = config.Hub || hub;
  }
})();
