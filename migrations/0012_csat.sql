CREATE TABLE `csat_surveys` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text,
	`department_id` text,
	`rule_id` text,
	`status` text NOT NULL,
	`score` integer,
	`comment` text,
	`texts` text NOT NULL,
	`sent_at` integer NOT NULL,
	`rated_at` integer,
	`done_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `csat_surveys_conversation_id_unique` ON `csat_surveys` (`conversation_id`);--> statement-breakpoint
CREATE INDEX `csat_contact` ON `csat_surveys` (`contact_id`,`channel_id`,`status`);--> statement-breakpoint
CREATE INDEX `csat_rated` ON `csat_surveys` (`rated_at`);--> statement-breakpoint
CREATE INDEX `csat_sent` ON `csat_surveys` (`sent_at`);