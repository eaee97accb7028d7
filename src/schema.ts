// Every table, for drizzle-kit and for the typed client.
export * from "./platform/schema.ts";
export * from "./auth/schema.ts";
export * from "./inbox/schema.ts";
export * from "./channels/schema.ts";
