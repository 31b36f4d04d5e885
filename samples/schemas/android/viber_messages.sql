-- Viber (com.viber.voip 20.x-22.x): /data/data/com.viber.voip/databases/viber_messages
-- Source: the tables and columns read by ALEAPP's viber.py (messages joined to participants and
-- participants_info; conversations) and by Autopsy's Viber analyzer (viber.py). send_type 0 incoming,
-- 1 outgoing; msg_date Unix ms; extra_mime 0 text, 1 image, 3 video; deleted 1 = deleted by a party.
CREATE TABLE conversations (_id INTEGER PRIMARY KEY AUTOINCREMENT, date LONG, recipient_number TEXT,
  group_id LONG DEFAULT 0, group_role INTEGER DEFAULT 0, conversation_type INTEGER DEFAULT 0, name TEXT,
  icon_id TEXT, flags INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0, read_notification_token LONG DEFAULT 0,
  timebomb_time INTEGER DEFAULT 0, business_inbox_flags INTEGER DEFAULT 0);
CREATE TABLE participants_info (_id INTEGER PRIMARY KEY AUTOINCREMENT, participant_type INTEGER DEFAULT 0,
  member_id TEXT, encrypted_member_id TEXT, number TEXT, encrypted_number TEXT, display_name TEXT,
  contact_name TEXT, viber_name TEXT, contact_id LONG DEFAULT 0, native_contact_id LONG DEFAULT -1,
  viber_image TEXT, has_photo INTEGER DEFAULT 0, date_of_birth TEXT, safe_contact INTEGER DEFAULT 0);
CREATE TABLE participants (_id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id LONG, participant_info_id LONG,
  group_role INTEGER DEFAULT 0, active INTEGER DEFAULT 0);
CREATE TABLE messages (_id INTEGER PRIMARY KEY AUTOINCREMENT, msg_date LONG, msg_date_real LONG, address TEXT,
  conversation_id LONG, participant_id LONG, body TEXT, status INTEGER DEFAULT 0, unread INTEGER DEFAULT 1,
  type INTEGER DEFAULT 0, send_type INTEGER DEFAULT 0, token LONG, message_global_id INTEGER DEFAULT 0,
  seq INTEGER DEFAULT 0, msg_info TEXT, extra_mime INTEGER DEFAULT 0, extra_uri TEXT, extra_duration LONG DEFAULT 0,
  description TEXT, deleted INTEGER DEFAULT 0, flag INTEGER DEFAULT 0, timebomb INTEGER DEFAULT 0);
CREATE INDEX messages_conversation_id_index ON messages (conversation_id, msg_date);
