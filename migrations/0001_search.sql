-- Full-text search over message bodies and contacts (FTS5, external content, kept in sync by triggers).
CREATE VIRTUAL TABLE `messages_fts` USING fts5(body, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
INSERT INTO `messages_fts`(rowid, body) SELECT rowid, body FROM `messages` WHERE private = 0;
--> statement-breakpoint
CREATE TRIGGER `messages_fts_ai` AFTER INSERT ON `messages` WHEN new.private = 0 BEGIN
  INSERT INTO `messages_fts`(rowid, body) VALUES (new.rowid, new.body);
END;
--> statement-breakpoint
CREATE TRIGGER `messages_fts_ad` AFTER DELETE ON `messages` WHEN old.private = 0 BEGIN
  INSERT INTO `messages_fts`(`messages_fts`, rowid, body) VALUES ('delete', old.rowid, old.body);
END;
--> statement-breakpoint
CREATE TRIGGER `messages_fts_au` AFTER UPDATE OF body ON `messages` WHEN old.private = 0 BEGIN
  INSERT INTO `messages_fts`(`messages_fts`, rowid, body) VALUES ('delete', old.rowid, old.body);
  INSERT INTO `messages_fts`(rowid, body) VALUES (new.rowid, new.body);
END;
--> statement-breakpoint
CREATE VIRTUAL TABLE `contacts_fts` USING fts5(name, phone, email, content='contacts', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
INSERT INTO `contacts_fts`(rowid, name, phone, email) SELECT rowid, name, coalesce(phone, ''), coalesce(email, '') FROM `contacts`;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_ai` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contacts_fts`(rowid, name, phone, email) VALUES (new.rowid, new.name, coalesce(new.phone, ''), coalesce(new.email, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_ad` AFTER DELETE ON `contacts` BEGIN
  INSERT INTO `contacts_fts`(`contacts_fts`, rowid, name, phone, email) VALUES ('delete', old.rowid, old.name, coalesce(old.phone, ''), coalesce(old.email, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_au` AFTER UPDATE OF name, phone, email ON `contacts` BEGIN
  INSERT INTO `contacts_fts`(`contacts_fts`, rowid, name, phone, email) VALUES ('delete', old.rowid, old.name, coalesce(old.phone, ''), coalesce(old.email, ''));
  INSERT INTO `contacts_fts`(rowid, name, phone, email) VALUES (new.rowid, new.name, coalesce(new.phone, ''), coalesce(new.email, ''));
END;
