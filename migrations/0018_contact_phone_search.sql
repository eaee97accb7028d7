-- Phones searched by any part of them (the last digits, a local number as people type it): a trigram index over
-- the contacts' phones, kept by triggers like contacts_fts.
CREATE VIRTUAL TABLE `contacts_phone_fts` USING fts5(phone, content='contacts', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
INSERT INTO `contacts_phone_fts`(rowid, phone) SELECT rowid, coalesce(phone, '') FROM `contacts`;
--> statement-breakpoint
CREATE TRIGGER `contacts_phone_fts_ai` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contacts_phone_fts`(rowid, phone) VALUES (new.rowid, coalesce(new.phone, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_phone_fts_ad` AFTER DELETE ON `contacts` BEGIN
  INSERT INTO `contacts_phone_fts`(`contacts_phone_fts`, rowid, phone) VALUES ('delete', old.rowid, coalesce(old.phone, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_phone_fts_au` AFTER UPDATE OF phone ON `contacts` BEGIN
  INSERT INTO `contacts_phone_fts`(`contacts_phone_fts`, rowid, phone) VALUES ('delete', old.rowid, coalesce(old.phone, ''));
  INSERT INTO `contacts_phone_fts`(rowid, phone) VALUES (new.rowid, coalesce(new.phone, ''));
END;
