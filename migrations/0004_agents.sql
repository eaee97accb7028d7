CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`persona` text DEFAULT '' NOT NULL,
	`tone` text DEFAULT 'friendly' NOT NULL,
	`instructions` text DEFAULT '' NOT NULL,
	`language` text DEFAULT 'auto' NOT NULL,
	`channel_ids` text DEFAULT '[]' NOT NULL,
	`department_ids` text DEFAULT '[]' NOT NULL,
	`tools` text DEFAULT '[]' NOT NULL,
	`handoff` text NOT NULL,
	`burst_ms` integer DEFAULT 2500 NOT NULL,
	`use_model` integer DEFAULT true NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `kb_chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source_id` text NOT NULL,
	`ord` integer NOT NULL,
	`heading` text DEFAULT '' NOT NULL,
	`body` text NOT NULL,
	`question` text,
	`answer` text,
	`embedded_with` text,
	FOREIGN KEY (`source_id`) REFERENCES `kb_sources`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `kb_chunks_source` ON `kb_chunks` (`source_id`,`ord`);--> statement-breakpoint
CREATE INDEX `kb_chunks_embedded` ON `kb_chunks` (`embedded_with`);--> statement-breakpoint
CREATE TABLE `kb_sources` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`kind` text NOT NULL,
	`file_id` text,
	`url` text,
	`content` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`chunk_count` integer DEFAULT 0 NOT NULL,
	`embedded_count` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`contact_id` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`items` text DEFAULT '[]' NOT NULL,
	`total` integer NOT NULL,
	`currency` text DEFAULT 'MXN' NOT NULL,
	`notes` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_number_unique` ON `orders` (`number`);--> statement-breakpoint
CREATE INDEX `orders_contact` ON `orders` (`contact_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`category` text DEFAULT '' NOT NULL,
	`price` integer NOT NULL,
	`currency` text DEFAULT 'MXN' NOT NULL,
	`stock` integer,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_sku_unique` ON `products` (`sku`);--> statement-breakpoint
CREATE INDEX `products_name` ON `products` (`name`);--> statement-breakpoint
CREATE TABLE `tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`number` integer NOT NULL,
	`contact_id` text,
	`conversation_id` text,
	`subject` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`priority` text DEFAULT 'medium' NOT NULL,
	`department_id` text,
	`created_by_type` text NOT NULL,
	`created_by_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tickets_number_unique` ON `tickets` (`number`);--> statement-breakpoint
CREATE INDEX `tickets_status` ON `tickets` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `tickets_contact` ON `tickets` (`contact_id`);--> statement-breakpoint
CREATE TABLE `appointments` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text,
	`conversation_id` text,
	`service` text DEFAULT '' NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`status` text DEFAULT 'booked' NOT NULL,
	`notes` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `appointments_starts` ON `appointments` (`status`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_contact` ON `appointments` (`contact_id`);--> statement-breakpoint
ALTER TABLE `conversations` ADD `agent_id` text REFERENCES agents(id) ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE `conversations` ADD `sentiment` text;--> statement-breakpoint
ALTER TABLE `conversations` ADD `urgency` text;--> statement-breakpoint
-- Keyword search over the knowledge base (FTS5, external content, kept in sync by triggers); vectors live in
-- kb_vectors, made at run time with the embedding model's dimension.
CREATE VIRTUAL TABLE `kb_chunks_fts` USING fts5(heading, body, content='kb_chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_fts_ai` AFTER INSERT ON `kb_chunks` BEGIN
  INSERT INTO `kb_chunks_fts`(rowid, heading, body) VALUES (new.id, new.heading, new.body);
END;
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_fts_ad` AFTER DELETE ON `kb_chunks` BEGIN
  INSERT INTO `kb_chunks_fts`(`kb_chunks_fts`, rowid, heading, body) VALUES ('delete', old.id, old.heading, old.body);
END;
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_fts_au` AFTER UPDATE OF heading, body ON `kb_chunks` BEGIN
  INSERT INTO `kb_chunks_fts`(`kb_chunks_fts`, rowid, heading, body) VALUES ('delete', old.id, old.heading, old.body);
  INSERT INTO `kb_chunks_fts`(rowid, heading, body) VALUES (new.id, new.heading, new.body);
END;
--> statement-breakpoint
-- How many passages hold each word: retrieval leaves out of its keyword query the words most passages have.
CREATE VIRTUAL TABLE `kb_chunks_vocab` USING fts5vocab(kb_chunks_fts, 'row');
