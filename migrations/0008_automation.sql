CREATE TABLE `automation_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`trigger` text NOT NULL,
	`conditions` text NOT NULL,
	`actions` text NOT NULL,
	`too_late_ms` integer,
	`webhook_secret` text,
	`recipe` text,
	`runs` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`last_run_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `automation_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text NOT NULL,
	`key` text NOT NULL,
	`event_seq` integer,
	`conversation_id` text,
	`contact_id` text,
	`status` text NOT NULL,
	`trace` text NOT NULL,
	`error` text,
	`depth` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `automation_runs_key_unique` ON `automation_runs` (`key`);--> statement-breakpoint
CREATE INDEX `automation_runs_rule` ON `automation_runs` (`rule_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `automation_runs_conv` ON `automation_runs` (`conversation_id`);--> statement-breakpoint
CREATE TABLE `automation_steps` (
	`key` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `automation_timers` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`rule_id` text NOT NULL,
	`kind` text NOT NULL,
	`due_at` integer NOT NULL,
	`conversation_id` text,
	`contact_id` text,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`claimed_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `automation_timers_key_unique` ON `automation_timers` (`key`);--> statement-breakpoint
CREATE INDEX `automation_timers_due` ON `automation_timers` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `automation_timers_conv` ON `automation_timers` (`conversation_id`,`kind`,`status`);--> statement-breakpoint
CREATE TABLE `event_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL
);
