// Starts Swagger UI on /schema. A file, not an inline script, so the page runs under script-src 'self'.
// No validator badge (it would call an outside service) and no ?url= or ?configUrl= from the address bar.
const root = document.getElementById('swagger-ui');
window.ui = SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  validatorUrl: null,
  queryConfigEnabled: false,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis],
});
