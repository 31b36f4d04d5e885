-- WhatsApp (com.whatsapp 2.23-2.25): /data/data/com.whatsapp/databases/wa.db (the app's contact list).
-- Source: the table definitions dumped from a real wa.db in the public test data of
-- frozenspider/chat-history-manager (whatsapp-android_2023-10/wa.sql); columns as listed in app-schemas.md.
CREATE TABLE wa_contacts(_id INTEGER PRIMARY KEY AUTOINCREMENT,jid TEXT NOT NULL,is_whatsapp_user BOOLEAN NOT NULL,
  status TEXT,status_timestamp INTEGER,number TEXT,raw_contact_id INTEGER,display_name TEXT,phone_type INTEGER,
  phone_label TEXT,unseen_msg_count INTEGER,photo_ts INTEGER,thumb_ts INTEGER,photo_id_timestamp INTEGER,
  given_name TEXT,family_name TEXT,wa_name TEXT,sort_name TEXT,nickname TEXT,company TEXT,title TEXT,
  status_autodownload_disabled INTEGER,keep_timestamp INTEGER,is_spam_reported INTEGER,
  is_sidelist_synced BOOLEAN DEFAULT 0,is_business_synced BOOLEAN DEFAULT 0,disappearing_mode_duration INTEGER,
  disappearing_mode_timestamp LONG,history_sync_initial_phash TEXT, is_starred BOOLEAN);
CREATE TABLE wa_vnames(_id INTEGER PRIMARY KEY AUTOINCREMENT,jid TEXT NOT NULL,serial INTEGER NOT NULL,
  issuer TEXT NOT NULL,expires INTEGER,verified_name TEXT NOT NULL,industry TEXT,city TEXT,country TEXT,
  verified_level INTEGER,identity_unconfirmed_since INTEGER,cert_blob BLOB,host_storage INTEGER DEFAULT 0,
  actual_actors INTEGER DEFAULT 0,privacy_mode_ts INTEGER DEFAULT 0);
CREATE TABLE wa_group_admin_settings(_id INTEGER PRIMARY KEY AUTOINCREMENT,jid TEXT UNIQUE,
  creator_jid TEXT,creation_time INTEGER);
CREATE UNIQUE INDEX wa_contacts_jid_index ON wa_contacts (jid, raw_contact_id);
