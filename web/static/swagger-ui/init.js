// Start Swagger UI on the application's own OpenAPI document.
// This is a file, not an inline script, so that the docs page works under a
// Content-Security-Policy without 'unsafe-inline' for scripts.
(function () {
  "use strict";

  function start() {
    var container = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: container.getAttribute("data-openapi-url") || "/api/openapi.json",
      domNode: container,
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      // Never send the document to validator.swagger.io.
      validatorUrl: null,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
