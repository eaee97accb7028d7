CREATE TABLE `channel_state` (
	`channel_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel_id`, `key`),
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `channel_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`channel_id` text NOT NULL,
	`name` text NOT NULL,
	`language` text NOT NULL,
	`category` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`params` integer DEFAULT 0 NOT NULL,
	`components` text DEFAULT '[]' NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `channel_templates_name_lang` ON `channel_templates` (`channel_id`,`name`,`language`);--> statement-breakpoint
ALTER TABLE `channels` ADD `deleted_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `last_inbound_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `content` text;--> statement-breakpoint
CREATE INDEX `outbox_message` ON `outbox` (`message_id`);--> statement-breakpoint
CREATE INDEX `outbox_channel_queue` ON `outbox` (`channel_id`,`status`,`next_attempt_at`);--> statement-breakpoint
-- existing conversations: the customer's last message, for reply windows
UPDATE `conversations` SET `last_inbound_at` = (SELECT max(m.`created_at`) FROM `messages` m WHERE m.`conversation_id` = `conversations`.`id` AND m.`direction` = 'in');
