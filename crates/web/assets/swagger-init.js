// Starts Swagger UI on the OpenAPI document served by this yaolian instance.
window.addEventListener('load', function () {
  window.SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
