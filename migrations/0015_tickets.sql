CREATE TABLE `sla_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`priority` text NOT NULL,
	`first_response_minutes` integer,
	`next_response_minutes` integer,
	`resolution_minutes` integer,
	`business_hours` integer DEFAULT true NOT NULL,
	`warn_minutes` integer DEFAULT 15 NOT NULL,
	`raise_priority` integer DEFAULT false NOT NULL,
	`reassign` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sla_policies_priority` ON `sla_policies` (`priority`);--> statement-breakpoint
CREATE TABLE `ticket_categories` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`department_id` text,
	`priority` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_categories_name_unique` ON `ticket_categories` (`name`);--> statement-breakpoint
CREATE TABLE `ticket_conversations` (
	`ticket_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	PRIMARY KEY(`ticket_id`, `conversation_id`),
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ticket_conversations_conv` ON `ticket_conversations` (`conversation_id`);--> statement-breakpoint
CREATE TABLE `ticket_events` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`kind` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`actor_name` text DEFAULT '' NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`attachments` text DEFAULT '[]' NOT NULL,
	`changes` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ticket_events_ticket` ON `ticket_events` (`ticket_id`,`at`);--> statement-breakpoint
CREATE TABLE `ticket_fields` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`label` text NOT NULL,
	`type` text NOT NULL,
	`options` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_fields_key_unique` ON `ticket_fields` (`key`);--> statement-breakpoint
CREATE TABLE `ticket_views` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`name` text NOT NULL,
	`filters` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `tickets` ADD `category_id` text REFERENCES ticket_categories(id) ON DELETE set null;--> statement-breakpoint
ALTER TABLE `tickets` ADD `assignee_id` text REFERENCES users(id) ON DELETE set null;--> statement-breakpoint
ALTER TABLE `tickets` ADD `custom_fields` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `first_response_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `solved_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `closed_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `merged_into_id` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `first_response_due_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `next_response_due_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `resolution_due_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `sla_paused_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `sla_left_ms` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `sla_warned` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `sla_breached` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `tickets_assignee` ON `tickets` (`assignee_id`,`status`);--> statement-breakpoint
CREATE INDEX `tickets_department` ON `tickets` (`department_id`,`status`);--> statement-breakpoint
UPDATE `tickets` SET `status` = CASE `status` WHEN 'in_progress' THEN 'open' WHEN 'waiting' THEN 'pending' WHEN 'closed' THEN 'closed' ELSE 'open' END;--> statement-breakpoint
UPDATE `tickets` SET `closed_at` = `updated_at` WHERE `status` = 'closed';--> statement-breakpoint
INSERT OR IGNORE INTO `ticket_conversations` (`ticket_id`, `conversation_id`) SELECT `id`, `conversation_id` FROM `tickets` WHERE `conversation_id` IS NOT NULL;--> statement-breakpoint
INSERT INTO `ticket_events` (`id`, `ticket_id`, `kind`, `actor_type`, `actor_id`, `actor_name`, `body`, `attachments`, `at`) SELECT `id` || '-created', `id`, 'created', CASE `created_by_type` WHEN 'user' THEN 'user' WHEN 'bot' THEN 'bot' WHEN 'api_key' THEN 'api_key' ELSE 'system' END, `created_by_id`, '', `description`, '[]', `created_at` FROM `tickets`;
