CREATE TABLE `sequence_enrolments` (
	`id` text PRIMARY KEY NOT NULL,
	`sequence_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`conversation_id` text,
	`status` text NOT NULL,
	`reason` text,
	`step` integer DEFAULT 0 NOT NULL,
	`next_at` integer,
	`source` text NOT NULL,
	`enrolled_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sequence_enrolments_active` ON `sequence_enrolments` (`sequence_id`,`contact_id`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `sequence_enrolments_contact` ON `sequence_enrolments` (`contact_id`,`status`);--> statement-breakpoint
CREATE INDEX `sequence_enrolments_seq` ON `sequence_enrolments` (`sequence_id`,`status`);--> statement-breakpoint
CREATE TABLE `sequence_sends` (
	`key` text PRIMARY KEY NOT NULL,
	`enrolment_id` text NOT NULL,
	`sequence_id` text NOT NULL,
	`step` integer NOT NULL,
	`outcome` text NOT NULL,
	`detail` text,
	`message_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sequence_sends_seq` ON `sequence_sends` (`sequence_id`,`step`);--> statement-breakpoint
CREATE INDEX `sequence_sends_enrolment` ON `sequence_sends` (`enrolment_id`);--> statement-breakpoint
CREATE TABLE `sequences` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`steps` text NOT NULL,
	`window` text NOT NULL,
	`exits` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
