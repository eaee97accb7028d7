DROP INDEX `conversations_last`;--> statement-breakpoint
DROP INDEX `conversations_status_last`;--> statement-breakpoint
DROP INDEX `conversations_assignee_last`;--> statement-breakpoint
DROP INDEX `conversations_department_last`;--> statement-breakpoint
CREATE INDEX `conversations_last_id` ON `conversations` (`last_message_at`,`id`);--> statement-breakpoint
CREATE INDEX `conversations_status_last_id` ON `conversations` (`status`,`last_message_at`,`id`);--> statement-breakpoint
CREATE INDEX `conversations_assignee_last_id` ON `conversations` (`assignee_id`,`last_message_at`,`id`);--> statement-breakpoint
CREATE INDEX `conversations_department_last_id` ON `conversations` (`department_id`,`last_message_at`,`id`);