-- LINE (jp.naver.line.android 13.x-14.x): /data/data/jp.naver.line.android/databases/naver_line
-- Source: the columns read by Autopsy's LINE analyzer (InternalPythonModules/android/line.py: chat_history,
-- contacts, groups, membership), ALEAPP's lineMessages/lineContacts and public LINE export tools that map the
-- full chat_history table (server_id, type, chat_id, from_mid, content, created_time, delivered_time, status,
-- location_*, attachement_* [sic], parameter, chunks). status 1 incoming / 2 outgoing; attachement_type 6 is
-- a call row; times are Unix milliseconds stored as text.
CREATE TABLE chat_history (id INTEGER PRIMARY KEY AUTOINCREMENT, server_id TEXT, type INTEGER, chat_id TEXT,
  from_mid TEXT, content TEXT, created_time TEXT, delivered_time TEXT, status INTEGER, sent_count INTEGER,
  read_count INTEGER, location_name TEXT, location_address TEXT, location_phone TEXT, location_latitude INTEGER,
  location_longitude INTEGER, attachement_image INTEGER, attachement_image_height INTEGER,
  attachement_image_width INTEGER, attachement_image_size INTEGER, attachement_type INTEGER,
  attachement_local_uri TEXT, parameter TEXT, chunks BLOB);
CREATE TABLE chat (chat_id TEXT PRIMARY KEY, chat_name TEXT, owner_mid TEXT, last_from_mid TEXT, last_message TEXT,
  last_created_time TEXT, message_count INTEGER, read_message_count INTEGER, latest_mentioned_position INTEGER,
  type INTEGER, is_notification INTEGER, skin_key TEXT, input_text TEXT, input_text_metadata TEXT,
  hide_member INTEGER, p_timer INTEGER, last_message_display_time TEXT, mid_p TEXT, is_archived INTEGER,
  read_up TEXT, is_groupcalling INTEGER, latest_announcement_seq INTEGER, announcement_view_status INTEGER,
  last_message_meta_data TEXT);
CREATE TABLE contacts (m_id TEXT PRIMARY KEY, contact_id TEXT, contact_key TEXT, name TEXT, phonetic_name TEXT,
  server_name TEXT, addressbook_name TEXT, custom_name TEXT, status_msg TEXT, picture_status TEXT,
  picture_path TEXT, relation INTEGER, status INTEGER, capable_flags INTEGER, contact_type INTEGER,
  hidden INTEGER, favorite INTEGER, created_time INTEGER, updated_time INTEGER, is_first INTEGER);
CREATE TABLE groups (id TEXT PRIMARY KEY, name TEXT, picture_status TEXT, creator TEXT, status INTEGER,
  is_first INTEGER, created_time INTEGER, updated_time INTEGER, prevented_joinby_ticket INTEGER,
  invitation_ticket TEXT, accepted_invitation_time INTEGER);
CREATE TABLE membership (id TEXT NOT NULL, m_id TEXT NOT NULL, is_accepted INTEGER, updated_time INTEGER,
  created_time INTEGER, PRIMARY KEY (id, m_id));
CREATE INDEX chat_history_chat_id_index ON chat_history (chat_id, created_time);
