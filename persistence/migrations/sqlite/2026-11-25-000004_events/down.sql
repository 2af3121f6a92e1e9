ALTER TABLE tender_questions DROP COLUMN version;
DROP TABLE application_recordings;
ALTER TABLE audit_events DROP COLUMN event_seq;
DROP TABLE event_readers;
DROP TABLE events;
