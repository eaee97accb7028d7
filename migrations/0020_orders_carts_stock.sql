CREATE TABLE `carts` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`contact_id` text,
	`lines` text DEFAULT '[]' NOT NULL,
	`fulfilment` text,
	`address` text DEFAULT '' NOT NULL,
	`location` text,
	`notes` text DEFAULT '' NOT NULL,
	`coupon_code` text,
	`abandoned_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `carts_conversation_id_unique` ON `carts` (`conversation_id`);--> statement-breakpoint
CREATE INDEX `carts_updated` ON `carts` (`updated_at`);--> statement-breakpoint
CREATE TABLE `couriers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`phone` text DEFAULT '' NOT NULL,
	`token_hash` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`position` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `couriers_token_hash_unique` ON `couriers` (`token_hash`);--> statement-breakpoint
CREATE TABLE `delivery_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`courier_id` text NOT NULL,
	`status` text DEFAULT 'planned' NOT NULL,
	`stops` text DEFAULT '[]' NOT NULL,
	`total_minutes` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`courier_id`) REFERENCES `couriers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `delivery_runs_courier` ON `delivery_runs` (`courier_id`,`status`);--> statement-breakpoint
CREATE TABLE `order_history` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`actor` text,
	`data` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `order_history_order` ON `order_history` (`order_id`,`at`);--> statement-breakpoint
CREATE TABLE `payment_links` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`provider` text NOT NULL,
	`external_id` text NOT NULL,
	`url` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `payment_links_order` ON `payment_links` (`order_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `payment_links_external` ON `payment_links` (`provider`,`external_id`);--> statement-breakpoint
CREATE TABLE `payment_notices` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text,
	`outcome` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `price_lists` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`channel_ids` text DEFAULT '[]' NOT NULL,
	`tag_ids` text DEFAULT '[]' NOT NULL,
	`prices` text DEFAULT '{}' NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `product_categories` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`parent_id` text,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`parent_id`) REFERENCES `product_categories`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_categories_name` ON `product_categories` (`parent_id`,`name`);--> statement-breakpoint
CREATE TABLE `promotions` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`value` integer DEFAULT 0 NOT NULL,
	`scope` text DEFAULT 'cart' NOT NULL,
	`sku` text,
	`category_id` text,
	`buy_quantity` integer,
	`get_quantity` integer,
	`code` text,
	`min_subtotal` integer DEFAULT 0 NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`hours` text,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`category_id`) REFERENCES `product_categories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `promotions_code` ON `promotions` (`code`);--> statement-breakpoint
CREATE TABLE `stock_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`sku` text NOT NULL,
	`variant` text,
	`quantity` integer NOT NULL,
	`status` text DEFAULT 'held' NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `stock_holds_due` ON `stock_holds` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `stock_holds_order` ON `stock_holds` (`order_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_orders` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`contact_id` text,
	`conversation_id` text,
	`status` text DEFAULT 'new' NOT NULL,
	`items` text DEFAULT '[]' NOT NULL,
	`subtotal` integer DEFAULT 0 NOT NULL,
	`discount` integer DEFAULT 0 NOT NULL,
	`promotions` text DEFAULT '[]' NOT NULL,
	`delivery_fee` integer DEFAULT 0 NOT NULL,
	`total` integer NOT NULL,
	`currency` text DEFAULT 'MXN' NOT NULL,
	`fulfilment` text DEFAULT 'pickup' NOT NULL,
	`address` text DEFAULT '' NOT NULL,
	`location` text,
	`payment_method` text,
	`payment_status` text DEFAULT 'unpaid' NOT NULL,
	`paid_at` integer,
	`closed_at` integer,
	`tracking_token` text,
	`external_source` text,
	`external_id` text,
	`run_id` text,
	`notes` text DEFAULT '' NOT NULL,
	`source` text DEFAULT 'api' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_orders`("id", "number", "contact_id", "status", "items", "subtotal", "total", "currency", "notes", "created_at", "updated_at") SELECT "id", "number", "contact_id", CASE "status" WHEN 'pending' THEN 'new' WHEN 'shipped' THEN 'on_the_way' ELSE "status" END, "items", "total", "total", "currency", "notes", "created_at", "updated_at" FROM `orders`;--> statement-breakpoint
DROP TABLE `orders`;--> statement-breakpoint
ALTER TABLE `__new_orders` RENAME TO `orders`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `orders_number_unique` ON `orders` (`number`);--> statement-breakpoint
CREATE INDEX `orders_contact` ON `orders` (`contact_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_status` ON `orders` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_conversation` ON `orders` (`conversation_id`);--> statement-breakpoint
ALTER TABLE `products` ADD `category_id` text REFERENCES product_categories(id);--> statement-breakpoint
ALTER TABLE `products` ADD `variants` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `products` ADD `modifiers` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `products` ADD `availability` text;--> statement-breakpoint
ALTER TABLE `products` ADD `low_stock` integer;--> statement-breakpoint
ALTER TABLE `products` ADD `external_source` text;--> statement-breakpoint
ALTER TABLE `products` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `products` ADD `external_variant_id` text;--> statement-breakpoint
ALTER TABLE `products` ADD `external_updated_at` integer;--> statement-breakpoint
CREATE INDEX `products_category` ON `products` (`category_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `products_external` ON `products` (`external_source`,`external_id`);