-- Viber (com.viber.voip 20.x-22.x): /data/data/com.viber.voip/databases/viber_data (address book and the
-- Viber users among it). Source: the tables read by ALEAPP's viber.py contacts query (phonebookcontact joined to
-- phonebookdata) and Autopsy's Viber analyzer; data1 holds the number for the phone mime type.
CREATE TABLE phonebookcontact (_id INTEGER PRIMARY KEY AUTOINCREMENT, native_id LONG, display_name TEXT,
  phonetic_name TEXT, phone_label TEXT, low_display_name TEXT, starred INTEGER DEFAULT 0, viber INTEGER DEFAULT 0,
  contact_lookup_key TEXT, contact_hash LONG, version INTEGER DEFAULT 0, has_number INTEGER DEFAULT 0,
  has_name INTEGER DEFAULT 0, native_photo_id LONG, recently_joined_date LONG DEFAULT 0, joined_date LONG DEFAULT 0,
  flags INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0);
CREATE TABLE phonebookdata (_id INTEGER PRIMARY KEY AUTOINCREMENT, contact_id LONG, data1 TEXT, data2 TEXT,
  data3 TEXT, data4 TEXT, data5 TEXT, mime_type INTEGER, data_hash LONG);
CREATE TABLE vibernumbers (_id INTEGER PRIMARY KEY AUTOINCREMENT, canonized_number TEXT, photo TEXT,
  viber_name TEXT, clear INTEGER, member_id TEXT, encrypted_member_id TEXT, viber_id TEXT, date_of_birth TEXT);
-- The call log (Viber-to-Viber and Viber Out calls). Source: the columns read by Autopsy's Viber analyzer
-- (canonized_number, type 1 incoming / 2 outgoing / 3 missed, duration in seconds, date Unix ms, viber_call_type
-- 1 audio / 4 video) and ALEAPP's viber.py calls query (number, canonized_number, date, duration, type,
-- viber_call_type, token).
CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT, canonized_number TEXT, date LONG,
  duration LONG, type INTEGER, viber_call_type INTEGER, token LONG);
