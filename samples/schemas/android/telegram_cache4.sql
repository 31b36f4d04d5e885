-- Telegram (org.telegram.messenger 10.x-11.x): /data/data/org.telegram.messenger/files/cache4.db
-- Source: MessagesStorage.createTables of the open-source Android client (DrKLO/Telegram; the same statements
-- as reproduced in a public reimplementation of MessagesStorage), database version 120+. messages_v2.data is a
-- TL-serialized TLRPC.Message (see samples/README.md for the layer and constructor ids used here); users.name is
-- "lower-cased name;;;username". Trimmed to the tables that hold messages, dialogs, users, chats and contacts.
CREATE TABLE messages_holes(uid INTEGER, start INTEGER, end INTEGER, PRIMARY KEY(uid, start));
CREATE TABLE messages_v2(mid INTEGER, uid INTEGER, read_state INTEGER, send_state INTEGER, date INTEGER, data BLOB,
  out INTEGER, ttl INTEGER, media INTEGER, replydata BLOB, imp INTEGER, mention INTEGER, forwards INTEGER,
  replies_data BLOB, thread_reply_id INTEGER, is_channel INTEGER, reply_to_message_id INTEGER, custom_params BLOB,
  group_id INTEGER, reply_to_story_id INTEGER, PRIMARY KEY(mid, uid));
CREATE INDEX uid_mid_read_out_idx_messages_v2 ON messages_v2(uid, mid, read_state, out);
CREATE INDEX uid_date_mid_idx_messages_v2 ON messages_v2(uid, date, mid);
CREATE INDEX mid_out_idx_messages_v2 ON messages_v2(mid, out);
CREATE TABLE user_contacts_v7(key TEXT PRIMARY KEY, uid INTEGER, fname TEXT, sname TEXT, imported INTEGER);
CREATE TABLE user_phones_v7(key TEXT, phone TEXT, sphone TEXT, deleted INTEGER, PRIMARY KEY (key, phone));
CREATE INDEX sphone_deleted_idx_user_phones ON user_phones_v7(sphone, deleted);
CREATE TABLE dialogs(did INTEGER PRIMARY KEY, date INTEGER, unread_count INTEGER, last_mid INTEGER, inbox_max INTEGER,
  outbox_max INTEGER, last_mid_i INTEGER, unread_count_i INTEGER, pts INTEGER, date_i INTEGER, pinned INTEGER,
  flags INTEGER, folder_id INTEGER, data BLOB, unread_reactions INTEGER, last_mid_group INTEGER, ttl_period INTEGER);
CREATE INDEX date_idx_dialogs ON dialogs(date);
CREATE TABLE randoms_v2(random_id INTEGER, mid INTEGER, uid INTEGER, PRIMARY KEY (random_id, mid, uid));
CREATE TABLE params(id INTEGER PRIMARY KEY, seq INTEGER, pts INTEGER, date INTEGER, qts INTEGER, lsv INTEGER,
  sg INTEGER, pbytes BLOB);
CREATE TABLE media_v4(mid INTEGER, uid INTEGER, date INTEGER, type INTEGER, data BLOB, PRIMARY KEY(mid, uid, type));
CREATE TABLE users_data(uid INTEGER PRIMARY KEY, about TEXT);
CREATE TABLE users(uid INTEGER PRIMARY KEY, name TEXT, status INTEGER, data BLOB);
CREATE TABLE chats(uid INTEGER PRIMARY KEY, name TEXT, data BLOB);
CREATE TABLE enc_chats(uid INTEGER PRIMARY KEY, user INTEGER, name TEXT, data BLOB, g BLOB, authkey BLOB, ttl INTEGER,
  layer INTEGER, seq_in INTEGER, seq_out INTEGER, use_count INTEGER, exchange_id INTEGER, key_date INTEGER,
  fprint INTEGER, fauthkey BLOB, khash BLOB, in_seq_no INTEGER, admin_id INTEGER, mtproto_seq INTEGER);
CREATE TABLE contacts(uid INTEGER PRIMARY KEY, mutual INTEGER);
CREATE TABLE keyvalue(id TEXT PRIMARY KEY, value TEXT);
