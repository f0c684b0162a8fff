-- Every sent message updates its conversation's last_message_at, on the one
-- row all senders of a conversation lock in turn.  The index on that column
-- made each of those updates a non-HOT update: a new entry in both of the
-- table's indexes per message, which only vacuum removes and which every
-- lookup of the conversation by id walks past meanwhile.  No query reads
-- the index (a user's conversations are found through
-- conversation_participants and ordered by coalesce(last_message_at,
-- created_at)), so it goes, and the update becomes a HOT update within the
-- row's page; the fill factor leaves room in each page for those versions.
drop index if exists conversations_last_message_idx;
alter table conversations set (fillfactor = 90);
