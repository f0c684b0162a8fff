-- Direct and group conversations, messages and attachments (API §9).
--
-- conversations.direct_key is an addition to the data model: for a direct
-- conversation it holds the two participant ids in sorted order
-- ('<smaller id>:<larger id>'), and its unique constraint makes "find or
-- create the direct conversation between A and B" (API §9.2) safe under
-- concurrency (INSERT ... ON CONFLICT (direct_key)). It stays NULL for group
-- conversations.
--
-- messages.created_at defaults to clock_timestamp() instead of now(), so
-- that rows written in one transaction keep their insertion order in the
-- cursor pages of API §9.3.

create table conversations (
	id              text primary key default mm_id('conv'),
	type            text not null check (type in ('direct', 'group')),
	name            text,
	created_by      text not null references users (id) on delete cascade,
	last_message_at timestamptz,
	metadata        jsonb,
	created_at      timestamptz not null default now(),
	updated_at      timestamptz not null default now(),
	direct_key      text,
	constraint conversations_direct_key_key unique (direct_key),
	constraint conversations_direct_key_check
		check (direct_key is null or type = 'direct')
);

create index conversations_last_message_idx on conversations
	(last_message_at desc nulls last);

create trigger conversations_updated_at before update on conversations
	for each row execute function update_updated_at();

create table conversation_participants (
	conversation_id text not null references conversations (id) on delete cascade,
	user_id         text not null references users (id) on delete cascade,
	joined_at       timestamptz not null default now(),
	last_read_at    timestamptz,
	muted           boolean not null default false,
	role            text not null check (role in ('member', 'owner')),
	primary key (conversation_id, user_id)
);

create index conversation_participants_user_idx on conversation_participants (user_id);

create table messages (
	id              text primary key default mm_id('msg'),
	conversation_id text not null references conversations (id) on delete cascade,
	sender_id       text not null references users (id) on delete cascade,
	content         text,
	content_type    text not null default 'text'
	                check (content_type in ('text', 'image', 'file', 'system')),
	reply_to_id     text references messages (id) on delete set null,
	edited_at       timestamptz,
	deleted_at      timestamptz,
	metadata        jsonb,
	created_at      timestamptz not null default clock_timestamp()
);

create index idx_messages_conversation on messages (conversation_id, created_at);
create index idx_messages_sender on messages (sender_id);

create table message_attachments (
	id                text primary key default mm_id('att'),
	message_id        text not null references messages (id) on delete cascade,
	file_name         text not null,
	file_type         text not null,
	file_size         integer not null check (file_size > 0),
	storage_path      text not null,
	thumbnail_path    text,
	moderation_status text not null default 'pending'
	                  check (moderation_status in ('pending', 'approved', 'rejected')),
	moderation_result text,
	moderation_scores jsonb,
	moderated_at      timestamptz,
	created_at        timestamptz not null default now()
);

create index message_attachments_message_idx on message_attachments (message_id);
