CREATE TABLE `board_cards` (
	`board_id` text NOT NULL,
	`item_id` text NOT NULL,
	`column_id` text NOT NULL,
	`position` integer NOT NULL,
	`status_at_move` text NOT NULL,
	`moved_at` integer NOT NULL,
	PRIMARY KEY(`board_id`, `item_id`),
	FOREIGN KEY (`board_id`) REFERENCES `boards`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `board_cards_column` ON `board_cards` (`board_id`,`column_id`,`position`);--> statement-breakpoint
CREATE TABLE `boards` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`department_id` text,
	`columns` text NOT NULL,
	`filters` text DEFAULT '{}' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE cascade
);
