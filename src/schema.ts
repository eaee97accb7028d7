// Every table, for drizzle-kit and for the typed client.
export * from "./platform/schema.ts";
export * from "./auth/schema.ts";
export * from "./inbox/schema.ts";
export * from "./channels/schema.ts";
export * from "./agents/schema.ts";
export * from "./commerce/schema.ts";
export * from "./tickets/schema.ts";
export * from "./calendar/schema.ts";
export * from "./notifications/schema.ts";
export * from "./automation/schema.ts";
export * from "./library/schema.ts";
