CREATE TABLE `assignee_loads` (
	`user_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`user_id`, `channel_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `departments` ADD `assignment` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `departments` ADD `sticky_hours` integer;--> statement-breakpoint
ALTER TABLE `departments` ADD `reassign_after_minutes` integer;--> statement-breakpoint
ALTER TABLE `departments` ADD `reassign_on_offline` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `departments` ADD `overflow_after_minutes` integer;--> statement-breakpoint
ALTER TABLE `departments` ADD `overflow_action` text;--> statement-breakpoint
ALTER TABLE `departments` ADD `overflow_target_id` text;--> statement-breakpoint
ALTER TABLE `user_departments` ADD `last_assigned_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `availability` text DEFAULT 'online' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `capacity` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `channel_capacity` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `conversations` ADD `queued_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `assigned_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `agent_replied_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `queue_notice` text;--> statement-breakpoint
ALTER TABLE `conversations` ADD `overflowed_at` integer;
--> statement-breakpoint
UPDATE `conversations` SET `queued_at` = `updated_at` WHERE `owner_type` = 'queue' AND `assignee_id` IS NULL;--> statement-breakpoint
UPDATE `conversations` SET `assigned_at` = `updated_at` WHERE `assignee_id` IS NOT NULL;--> statement-breakpoint
UPDATE `conversations` SET `agent_replied_at` = (SELECT max(`created_at`) FROM `messages` m WHERE m.`conversation_id` = `conversations`.`id` AND m.`sender_type` = 'agent' AND m.`direction` = 'out' AND m.`private` = 0);--> statement-breakpoint
CREATE TRIGGER `conversations_enter_queue` AFTER UPDATE OF `owner_type`, `assignee_id` ON `conversations`
WHEN NEW.`owner_type` = 'queue' AND NEW.`assignee_id` IS NULL AND (OLD.`owner_type` <> 'queue' OR OLD.`assignee_id` IS NOT NULL)
BEGIN UPDATE `conversations` SET `queued_at` = NEW.`updated_at` WHERE `id` = NEW.`id`; END;--> statement-breakpoint
CREATE TRIGGER `conversations_assigned` AFTER UPDATE OF `assignee_id` ON `conversations`
WHEN NEW.`assignee_id` IS NOT NULL AND NEW.`assignee_id` IS NOT OLD.`assignee_id`
BEGIN UPDATE `conversations` SET `assigned_at` = NEW.`updated_at` WHERE `id` = NEW.`id`; END;--> statement-breakpoint
CREATE TRIGGER `messages_agent_reply` AFTER INSERT ON `messages`
WHEN NEW.`sender_type` = 'agent' AND NEW.`direction` = 'out' AND NEW.`private` = 0
BEGIN UPDATE `conversations` SET `agent_replied_at` = NEW.`created_at` WHERE `id` = NEW.`conversation_id`; END;
--> statement-breakpoint
INSERT INTO `assignee_loads` (`user_id`, `channel_id`, `n`) SELECT `assignee_id`, `channel_id`, count(*) FROM `conversations` WHERE `status` = 'open' AND `owner_type` = 'agent' AND `assignee_id` IS NOT NULL GROUP BY `assignee_id`, `channel_id`;--> statement-breakpoint
CREATE TRIGGER `assignee_loads_insert` AFTER INSERT ON `conversations`
WHEN NEW.`status` = 'open' AND NEW.`owner_type` = 'agent' AND NEW.`assignee_id` IS NOT NULL
BEGIN INSERT INTO `assignee_loads` (`user_id`, `channel_id`, `n`) VALUES (NEW.`assignee_id`, NEW.`channel_id`, 1) ON CONFLICT (`user_id`, `channel_id`) DO UPDATE SET `n` = `n` + 1; END;--> statement-breakpoint
CREATE TRIGGER `assignee_loads_delete` AFTER DELETE ON `conversations`
WHEN OLD.`status` = 'open' AND OLD.`owner_type` = 'agent' AND OLD.`assignee_id` IS NOT NULL
BEGIN UPDATE `assignee_loads` SET `n` = `n` - 1 WHERE `user_id` = OLD.`assignee_id` AND `channel_id` = OLD.`channel_id`; END;--> statement-breakpoint
CREATE TRIGGER `assignee_loads_leave` AFTER UPDATE OF `status`, `owner_type`, `assignee_id`, `channel_id` ON `conversations`
WHEN OLD.`status` = 'open' AND OLD.`owner_type` = 'agent' AND OLD.`assignee_id` IS NOT NULL
BEGIN UPDATE `assignee_loads` SET `n` = `n` - 1 WHERE `user_id` = OLD.`assignee_id` AND `channel_id` = OLD.`channel_id`; END;--> statement-breakpoint
CREATE TRIGGER `assignee_loads_enter` AFTER UPDATE OF `status`, `owner_type`, `assignee_id`, `channel_id` ON `conversations`
WHEN NEW.`status` = 'open' AND NEW.`owner_type` = 'agent' AND NEW.`assignee_id` IS NOT NULL
BEGIN INSERT INTO `assignee_loads` (`user_id`, `channel_id`, `n`) VALUES (NEW.`assignee_id`, NEW.`channel_id`, 1) ON CONFLICT (`user_id`, `channel_id`) DO UPDATE SET `n` = `n` + 1; END;
