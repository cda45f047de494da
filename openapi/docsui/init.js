// Starts Swagger UI. Kept out of the page so that a strict
// Content-Security-Policy (no 'unsafe-inline') can be used.
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // null disables the badge that would call validator.swagger.io.
    validatorUrl: null
  });
});
