import { sqliteTable, text, integer, index, primaryKey } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash").notNull(),
  /** supervisor: an agent who also runs their departments' team (queues, presence, reassigning), without settings */
  role: text("role", { enum: ["admin", "supervisor", "agent"] }).notNull(),
  locale: text("locale", { enum: ["es", "en"] })
    .notNull()
    .default("es"),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  lastLoginAt: integer("last_login_at"),
  /** what the person chose: available, away or offline (their live presence also needs an open console) */
  availability: text("availability", { enum: ["online", "away", "offline"] })
    .notNull()
    .default("online"),
  /** the most open conversations assigned to them at once (null: no limit), and per channel type */
  capacity: integer("capacity"),
  channelCapacity: text("channel_capacity", { mode: "json" }).notNull().$type<Record<string, number>>().default({}),
});

// Departments are the attention queues ("filas de atención").
export const departments = sqliteTable("departments", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  createdAt: integer("created_at").notNull(),
  /** how its waiting conversations reach people: by hand, in turns, or to whoever has the fewest */
  assignment: text("assignment", { enum: ["manual", "round_robin", "least_busy"] })
    .notNull()
    .default("manual"),
  /** a contact who writes again within this many hours goes to the person who last served them */
  stickyHours: integer("sticky_hours"),
  /** a conversation whose person has not answered the customer within this many minutes goes to someone else */
  reassignAfterMinutes: integer("reassign_after_minutes"),
  /** a person's conversations go to others when they go offline */
  reassignOnOffline: integer("reassign_on_offline", { mode: "boolean" }).notNull().default(true),
  /** a conversation waiting this many minutes overflows: to another department, to an AI agent, or a call-back ticket */
  overflowAfterMinutes: integer("overflow_after_minutes"),
  overflowAction: text("overflow_action", { enum: ["department", "agent", "ticket"] }),
  /** the department or the AI agent it overflows to */
  overflowTargetId: text("overflow_target_id"),
});

export const userDepartments = sqliteTable(
  "user_departments",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    departmentId: text("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    /** when this department last gave this person a conversation (whose turn it is in round robin) */
    lastAssignedAt: integer("last_assigned_at"),
  },
  (t) => [primaryKey({ columns: [t.userId, t.departmentId] }), index("user_departments_dept").on(t.departmentId)],
);

// The session token itself is never stored: id is its SHA-256.
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

// Login history; also the source of login rate limiting.
export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    userId: text("user_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    success: integer("success", { mode: "boolean" }).notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("login_attempts_email_at").on(t.email, t.at), index("login_attempts_ip_at").on(t.ip, t.at)],
);

// API keys: shown once, stored as SHA-256; prefix lets an admin tell them apart.
export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  keyHash: text("key_hash").notNull().unique(),
  /** what the key may do: read (GET only), inbox (what an agent does, on every conversation), admin (everything) */
  scope: text("scope", { enum: ["read", "inbox", "admin"] })
    .notNull()
    .default("admin"),
  createdBy: text("created_by"),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at"),
  revokedAt: integer("revoked_at"),
});
