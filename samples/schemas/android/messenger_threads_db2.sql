-- Facebook Messenger (com.facebook.orca 400+): /data/data/com.facebook.orca/databases/threads_db2
-- Source: the tables and columns read by ALEAPP's FacebookMessenger.py and Autopsy's fbmessenger.py analyzer:
-- messages (thread_key, text, sender JSON with user_key and name, timestamp_ms, attachments JSON, msg_type),
-- threads, thread_users, thread_participants. timestamp_ms is Unix milliseconds.
CREATE TABLE threads (thread_key TEXT PRIMARY KEY, thread_fbid TEXT, legacy_thread_id TEXT, action_id INTEGER,
  refetch_action_id INTEGER, last_visible_action_id INTEGER, sequence_id INTEGER, name TEXT, senders TEXT,
  snippet TEXT, snippet_sender TEXT, admin_snippet TEXT, timestamp_ms INTEGER, last_read_timestamp_ms INTEGER,
  approx_total_message_count INTEGER, unread_message_count INTEGER, pic_hash TEXT, can_reply_to INTEGER,
  is_subscribed INTEGER, folder TEXT, thread_type INTEGER);
CREATE TABLE thread_users (user_key TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, username TEXT, name TEXT,
  is_messenger_user INTEGER, is_commerce INTEGER, profile_pic_square TEXT, profile_type TEXT, is_friend INTEGER);
CREATE TABLE thread_participants (thread_key TEXT, user_key TEXT, type TEXT, is_admin INTEGER,
  last_read_receipt_time INTEGER, last_read_receipt_watermark_time INTEGER, last_delivered_receipt_time INTEGER,
  PRIMARY KEY (thread_key, user_key, type));
CREATE TABLE messages (msg_id TEXT PRIMARY KEY, thread_key TEXT, action_id INTEGER, subject TEXT, text TEXT,
  sender TEXT, timestamp_ms INTEGER, timestamp_sent_ms INTEGER, attachments TEXT, shares TEXT, sticker_id TEXT,
  msg_type INTEGER, affected_users TEXT, coordinates TEXT, offline_threading_id TEXT, source TEXT,
  is_non_authoritative INTEGER, pending_send_media_attachment TEXT, sent_share_attachment TEXT,
  send_error TEXT, send_error_message TEXT, generic_admin_message_extensible_data TEXT);
CREATE INDEX messages_timestamp_index ON messages (thread_key, timestamp_ms DESC);
