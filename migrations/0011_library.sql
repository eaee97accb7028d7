CREATE TABLE `library_items` (
	`id` text PRIMARY KEY NOT NULL,
	`file_id` text NOT NULL,
	`title` text NOT NULL,
	`kind` text NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `library_items_title` ON `library_items` (`title`);--> statement-breakpoint
ALTER TABLE `quick_replies` ADD `media` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `files_path` ON `files` (`path`);