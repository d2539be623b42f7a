// Starts Swagger UI on this server's /openapi.json. A file of its own, not an inline script:
// /docs is sent with a Content-Security-Policy that allows scripts from this server only.
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default validator badge loads an image from validator.swagger.io: nothing leaves here.
  validatorUrl: null,
});
