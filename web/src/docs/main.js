// The API reference at /schema: Swagger UI over this app's OpenAPI document. Everything it needs
// is in this bundle; it fetches only the document and, on "Try it out", this app's own routes.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import { initColorScheme } from "../theme.js";

initColorScheme(); // follows the chat page's light/dark choice, and the system's

const root = document.getElementById("docs");
SwaggerUIBundle({
  domNode: root,
  url: new URL(root.dataset.openapi, document.baseURI).href,
  // Otherwise Swagger UI would send the document to a public validator.
  validatorUrl: "none",
  // Only this page's document, never one named by a `?url=` in a link someone sent.
  queryConfigEnabled: false,
  deepLinking: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
});
