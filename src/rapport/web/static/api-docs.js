// Starts Swagger UI on /api/v1/docs (a file, not an inline script, so the page keeps the workspace's CSP).
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({ url: root.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true });
});
