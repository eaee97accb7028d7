import { z } from "zod";

type Op = {
  method: string;
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  auth?: boolean;
  multipart?: boolean;
};

/** Collects the API's operations as they are mounted, so the OpenAPI document cannot drift from the routes. */
export class OpenApiRegistry {
  ops: Op[] = [];
  add(op: Op) {
    this.ops.push(op);
  }

  document(serverUrl: string) {
    const paths: Record<string, Record<string, unknown>> = {};
    const errorRef = { $ref: "#/components/schemas/Error" };
    for (const op of this.ops) {
      const oaPath = op.path.replace(/:(\w+)/g, "{$1}");
      const params = [...op.path.matchAll(/:(\w+)/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: { type: "string" },
      }));
      if (op.query) {
        const js = z.toJSONSchema(op.query, { io: "input", unrepresentable: "any" }) as {
          properties?: Record<string, unknown>;
          required?: string[];
        };
        for (const [name, schema] of Object.entries(js.properties ?? {}))
          params.push({ name, in: "query", required: !!js.required?.includes(name), schema } as never);
      }
      (paths[oaPath] ??= {})[op.method.toLowerCase()] = {
        summary: op.summary,
        tags: [op.tag],
        parameters: params.length ? params : undefined,
        security: op.auth === false ? [] : [{ apiKey: [] }],
        requestBody: op.body
          ? {
              required: true,
              content: {
                "application/json": { schema: z.toJSONSchema(op.body, { io: "input", unrepresentable: "any" }) },
              },
            }
          : op.multipart
            ? {
                required: true,
                content: {
                  "multipart/form-data": {
                    schema: { type: "object", properties: { file: { type: "string", format: "binary" } } },
                  },
                },
              }
            : undefined,
        responses: {
          "200": { description: "OK" },
          "400": { description: "Invalid input", content: { "application/json": { schema: errorRef } } },
          "401": { description: "Missing or invalid API key", content: { "application/json": { schema: errorRef } } },
          "404": {
            description: "Not found, or not visible to the caller",
            content: { "application/json": { schema: errorRef } },
          },
        },
      };
    }
    return {
      openapi: "3.1.0",
      info: {
        title: "DigyBot REST API",
        version: "1",
        description:
          "Contacts, conversations and messages of a DigyBot. Authenticate with `Authorization: Bearer dgb_…` (Settings → API keys). Sending a message enqueues it to the outbox; delivery status arrives later on the message.",
      },
      servers: [{ url: serverUrl }],
      components: {
        securitySchemes: { apiKey: { type: "http", scheme: "bearer" } },
        schemas: {
          Error: {
            type: "object",
            required: ["error"],
            properties: {
              error: {
                type: "object",
                required: ["code", "message"],
                properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
              },
            },
          },
        },
      },
      paths,
    };
  }
}
