// Stoat's published contract (npm stoat-api@0.8.9-4, OpenAPI.json) checked on every response the
// conformance tests receive: fetch is wrapped, each JSON body is validated with ajv against its
// operation's response schema, and the operations answered successfully are counted.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Ajv from "ajv";

const require = createRequire(import.meta.url);
// The package exports only its code: OpenAPI.json sits beside lib/.
const spec = JSON.parse(readFileSync(join(dirname(require.resolve("stoat-api")), "..", "OpenAPI.json"), "utf8"));

/** OpenAPI 3.0's `nullable` as JSON Schema: `type: [T, "null"]`, or "this or null" where there is no type. */
function withoutNullable(schema) {
  if (Array.isArray(schema)) return schema.map(withoutNullable);
  if (schema === null || typeof schema !== "object") return schema;
  const { nullable, ...rest } = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withoutNullable(v)]));
  if (nullable !== true) return rest;
  if (typeof rest.type === "string") return { ...rest, type: [rest.type, "null"], ...(rest.enum ? { enum: [...rest.enum, null] } : {}) };
  return { anyOf: [rest, { type: "null" }] };
}

/** Stoat's patterns are Rust regexes, whose case-insensitive flag is an inline `(?i)` that JavaScript writes as the `i` flag. */
function rustRegExp(pattern, flags) {
  return pattern.startsWith("(?i)") ? new RegExp(pattern.slice(4), `${flags}i`) : new RegExp(pattern, flags);
}
rustRegExp.code = "rustRegExp";

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, code: { regExp: rustRegExp } });
ajv.addSchema({ $id: "stoat", components: withoutNullable(spec.components) });

export const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.keys(methods).filter((m) => m !== "parameters").map((method) => `${method.toUpperCase()} ${path}`));

export const covered = new Set();

/** A response that breaks Stoat's schema: never mistaken for an error answer the test expected. */
export class SchemaViolation extends Error {}

const validators = new Map();
function validatorFor(schema) {
  const text = JSON.stringify(withoutNullable(schema)).replaceAll('"#/components/', '"stoat#/components/');
  if (!validators.has(text)) validators.set(text, ajv.compile(JSON.parse(text)));
  return validators.get(text);
}

/** Why `value` breaks Stoat's schema `component` (e.g. "Embed"), or null when it conforms: for event payloads, which no operation describes. */
export function componentErrors(component, value) {
  const validate = validatorFor({ $ref: `#/components/schemas/${component}` });
  return validate(value) ? null : ajv.errorsText(validate.errors);
}

/**
 * The spec path of a request: among the paths that have this method and whose segments match (a
 * `{parameter}` matches any segment), the one with the most literal segments (/users/friend over
 * /users/{target}; PATCH /users/@me is /users/{target}, since /users/@me has only GET).
 */
function operationPath(path, method) {
  const segments = path.split("/");
  let best = null;
  let bestLiterals = -1;
  for (const [candidate, methods] of Object.entries(spec.paths)) {
    if (!methods[method]) continue;
    const parts = candidate.split("/");
    if (parts.length !== segments.length) continue;
    if (!parts.every((part, i) => part === segments[i] || (part.startsWith("{") && segments[i].length > 0))) continue;
    const literals = parts.filter((part) => !part.startsWith("{")).length;
    if (literals > bestLiterals) [best, bestLiterals] = [candidate, literals];
  }
  return best;
}

/** Wraps fetch for requests under `apiBase` (e.g. http://127.0.0.1:8080/api). */
export function watchResponses(apiBase) {
  const prefix = new URL(apiBase).pathname.replace(/\/$/, "");
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    let response = await realFetch(input, init);
    // The suite runs with Stoat's rate limits on: wait as long as it says, as a well-behaved client does.
    for (let attempt = 0; response.status === 429 && attempt < 5; attempt++) {
      const { retry_after } = await response.json();
      await new Promise((resolve) => setTimeout(resolve, Number(retry_after) + 50));
      response = await realFetch(input, init);
    }
    const url = new URL(typeof input === "string" ? input : input.url);
    if (!url.pathname.startsWith(prefix)) return response;

    const method = (init?.method ?? "GET").toUpperCase();
    const path = url.pathname.slice(prefix.length) || "/";
    const template = operationPath(path, method.toLowerCase()) ?? path;
    const operation = spec.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new SchemaViolation(`${method} ${path}: not an operation of Stoat's API`);

    const text = await response.clone().text();
    const answer = operation.responses[String(response.status)] ?? operation.responses.default;
    const documented = Object.keys(answer?.content ?? {});
    if (text.length > 0 && documented.length > 0 && !documented.includes("application/json")) {
      // A picture or other file: its media type must be the one Stoat documents.
      const type = response.headers.get("content-type")?.split(";")[0].trim();
      if (!documented.includes(type)) throw new SchemaViolation(`${method} ${path} → ${response.status}: ${type} is not ${documented.join(" or ")}`);
    } else if (text.length > 0) {
      const schema = answer?.content?.["application/json"]?.schema;
      if (!schema) throw new SchemaViolation(`${method} ${path} → ${response.status}: Stoat documents no JSON body here`);
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        throw new SchemaViolation(`${method} ${path} → ${response.status}: body is not JSON: ${text.slice(0, 200)}`);
      }
      const validate = validatorFor(schema);
      // Authifier's routes answer errors from authifier's catalogue, which the spec lists on its own.
      const valid = validate(body) || (!response.ok && validatorFor({ $ref: "#/components/schemas/Authifier Error" })(body));
      if (!valid) {
        throw new SchemaViolation(`${method} ${path} → ${response.status} ${text} breaks Stoat's schema: ${ajv.errorsText(validate.errors)}`);
      }
    }
    if (response.ok) covered.add(`${method} ${template}`);
    return response;
  };
}
