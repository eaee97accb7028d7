CREATE TABLE `flow_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`flow_id` text NOT NULL,
	`version_id` text NOT NULL,
	`status` text NOT NULL,
	`node_id` text,
	`vars` text NOT NULL,
	`tries` integer DEFAULT 0 NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`path` text NOT NULL,
	`reason` text,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `flow_sessions_active` ON `flow_sessions` (`conversation_id`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `flow_sessions_flow` ON `flow_sessions` (`flow_id`,`status`);--> statement-breakpoint
CREATE TABLE `flow_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`flow_id` text NOT NULL,
	`version` integer NOT NULL,
	`graph` text NOT NULL,
	`published_at` integer NOT NULL,
	`published_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `flow_versions_flow_version` ON `flow_versions` (`flow_id`,`version`);--> statement-breakpoint
CREATE TABLE `flows` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`keywords` text NOT NULL,
	`channel_ids` text NOT NULL,
	`draft` text NOT NULL,
	`template` text,
	`published_version` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
