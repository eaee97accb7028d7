ALTER TABLE `departments` ADD `assignment` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `departments` ADD `sticky_hours` integer;--> statement-breakpoint
ALTER TABLE `departments` ADD `reassign_after_minutes` integer;--> statement-breakpoint
ALTER TABLE `departments` ADD `reassign_on_offline` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `user_departments` ADD `last_assigned_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `availability` text DEFAULT 'online' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `capacity` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `channel_capacity` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `conversations` ADD `queued_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `assigned_at` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `agent_replied_at` integer;--> statement-breakpoint
CREATE INDEX `conversations_queue` ON `conversations` (`owner_type`,`department_id`,`queued_at`);--> statement-breakpoint
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
