-- Messaging (API §9): conversations, messages, read markers and blocks.
--
-- Every conversation-scoped function first checks that the caller takes
-- part in the conversation and answers MM404 otherwise, so that a
-- non-participant learns nothing about it (not even that it exists).
-- Functions that publish to the live streams (§8) also return the
-- comma-separated nchan channels of the participants; the binary publishes
-- after the statement committed.
--
-- The helpers a send calls once each are written in plpgsql: a language
-- sql function the planner cannot inline (a FROM list, an aggregate, a
-- sub-select) is parsed and planned again on every call from plpgsql
-- (with iso_ts(), over a third of the database's time per sent message),
-- while plpgsql keeps its plans for the session.

drop function if exists messaging_send(text, text, text, text, text);
drop function if exists messaging_delete(text, text);
drop function if exists messaging_create(text, text, text, text);

-- The attachment objects of one message (§9.9).
create or replace function messaging_attachments_json(p_msg text)
returns json
language plpgsql
stable
as $$
begin
	return (select coalesce(json_agg(json_build_object(
		'id', a.id,
		'fileName', a.file_name,
		'fileType', a.file_type,
		'fileSize', a.file_size,
		'moderationStatus', a.moderation_status,
		'url', '/api/messaging/attachments/' || a.id,
		'thumbnailUrl', case when a.thumbnail_path is null then null
		    else '/api/messaging/attachments/' || a.id || '/thumbnail' end)
		order by a.created_at, a.id), '[]'::json)
	  from message_attachments a
	 where a.message_id = p_msg);
end;
$$;

-- The message object of §9.3.  Never called for deleted messages.
create or replace function messaging_message_json(m messages)
returns json
language sql
stable
as $$
	select json_build_object(
		'id', m.id,
		'conversationId', m.conversation_id,
		'senderId', m.sender_id,
		'content', m.content,
		'contentType', m.content_type,
		'replyToId', m.reply_to_id,
		'editedAt', iso_ts(m.edited_at),
		'attachments', messaging_attachments_json(m.id),
		'createdAt', iso_ts(m.created_at));
$$;

-- The participants of a conversation, owner first, then by join time.
create or replace function messaging_participants_json(p_conv text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select coalesce(json_agg(json_build_object(
			'userId', u.id,
			'username', u.username,
			'displayName', u.display_name,
			'avatarUrl', u.avatar_url,
			'role', p.role)
			order by p.role <> 'owner', p.joined_at, u.id), '[]'::json)
		  from conversation_participants p
		  join users u on u.id = p.user_id
		 where p.conversation_id = p_conv
	) q(v) limit 1);
end;
$$;

-- The comma-separated stream channels of a conversation's participants.
create or replace function messaging_channels(p_conv text)
returns text
language plpgsql
stable
as $$
begin
	return (select string_agg('messaging.u.' || p.user_id, ','
		order by p.user_id)
	  from conversation_participants p
	 where p.conversation_id = p_conv);
end;
$$;

-- True when a or b has blocked the other.
create or replace function messaging_blocked(p_a text, p_b text)
returns boolean
language plpgsql
stable
as $$
begin
	return exists (select 1 from user_blocks b
		 where (b.blocker_id = p_a and b.blocked_id = p_b)
		    or (b.blocker_id = p_b and b.blocked_id = p_a));
end;
$$;

-- Raises MM404 unless p_user takes part in p_conv.
create or replace function messaging_require_participant(p_user text,
	p_conv text)
returns void
language plpgsql
stable
as $$
begin
	if not exists (select 1 from conversation_participants p
		 where p.conversation_id = p_conv and p.user_id = p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Conversation not found';
	end if;
end;
$$;

-- GET /api/messaging/conversations (§9.1).
create or replace function messaging_conversations(p_user text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object('conversations', coalesce(json_agg(x.doc
			order by x.activity desc, x.id desc), '[]'::json))
		  from (select c.id, coalesce(c.last_message_at, c.created_at)
				   as activity,
			       json_build_object(
				'id', c.id,
				'type', c.type,
				'name', c.name,
				'participants', messaging_participants_json(c.id),
				'lastMessage', (select json_build_object(
					'id', m.id,
					'content', m.content,
					'senderId', m.sender_id,
					'createdAt', iso_ts(m.created_at))
				      from messages m
				     where m.conversation_id = c.id
				       and m.deleted_at is null
				     order by m.created_at desc, m.id desc
				     limit 1),
				'unreadCount', (select count(*)
				      from messages m
				     where m.conversation_id = c.id
				       and m.deleted_at is null
				       and m.sender_id <> p_user
				       and (me.last_read_at is null
					    or m.created_at > me.last_read_at)),
				'lastMessageAt', iso_ts(c.last_message_at),
				'createdAt', iso_ts(c.created_at)) as doc
			  from conversation_participants me
			  join conversations c on c.id = me.conversation_id
			 where me.user_id = p_user) x
	) q(v) limit 1);
end;
$$;

-- POST /api/messaging/conversations (§9.2).  p_ids is a JSON array of
-- strings (checked by the binary).  Returns the document and its status:
-- 201 for a new conversation, 200 for an existing direct one.
create or replace function messaging_create(p_user text, p_type text,
	p_ids text, p_name text, out doc json, out status integer)
language plpgsql
volatile
as $$
declare
	v_ids     text[];
	v_known   integer;
	v_other   text;
	v_key     text;
	v_conv    text;
	v_existing boolean := false;
begin
	select coalesce(array_agg(distinct x), '{}')
	  into v_ids
	  from json_array_elements_text(p_ids::json) x
	 where x <> p_user;
	select count(*) into v_known from users u where u.id = any (v_ids);
	if v_known <> coalesce(array_length(v_ids, 1), 0) then
		raise exception using errcode = 'MM400',
		    message = 'participantIds contains an unknown user';
	end if;

	if p_type = 'direct' then
		if coalesce(array_length(v_ids, 1), 0) <> 1 then
			raise exception using errcode = 'MM400',
			    message = 'A direct conversation needs exactly one other participant';
		end if;
		v_other := v_ids[1];
		if messaging_blocked(p_user, v_other) then
			raise exception using errcode = 'MM403',
			    message = 'You cannot message this user';
		end if;
		v_key := least(p_user, v_other) || ':' ||
		    greatest(p_user, v_other);
		insert into conversations (type, created_by, direct_key)
		values ('direct', p_user, v_key)
		on conflict (direct_key) do nothing
		returning id into v_conv;
		if v_conv is null then
			select c.id into v_conv from conversations c
			 where c.direct_key = v_key;
			v_existing := true;
		else
			insert into conversation_participants
			    (conversation_id, user_id, role)
			values (v_conv, p_user, 'owner'),
			       (v_conv, v_other, 'member');
		end if;
	else
		if p_name is null or char_length(p_name) < 1
		    or char_length(p_name) > 100 then
			raise exception using errcode = 'MM400',
			    message = 'name is required for a group: 1 to 100 characters';
		end if;
		if coalesce(array_length(v_ids, 1), 0) not between 2 and 50 then
			raise exception using errcode = 'MM400',
			    message = 'A group needs 2 to 50 other participants';
		end if;
		insert into conversations (type, name, created_by)
		values ('group', p_name, p_user)
		returning id into v_conv;
		insert into conversation_participants
		    (conversation_id, user_id, role)
		select v_conv, p_user, 'owner'
		union all
		select v_conv, x, 'member' from unnest(v_ids) x;
	end if;

	select json_build_object(
		'id', c.id,
		'type', c.type,
		'name', c.name,
		'participants', messaging_participants_json(c.id),
		'lastMessageAt', iso_ts(c.last_message_at),
		'createdAt', iso_ts(c.created_at),
		'existing', v_existing)
	  into doc
	  from conversations c where c.id = v_conv;
	status := case when v_existing then 200 else 201 end;
end;
$$;

-- GET /api/messaging/conversations/:id/messages (§9.3, cursor §1.8).
create or replace function messaging_messages(p_user text, p_conv text,
	p_before text, p_limit integer)
returns json
language plpgsql
stable
as $$
declare
	v_ts   timestamptz := 'infinity';
	v_id   text := '';
	v_docs json;
	v_last text;
	v_n    bigint;
begin
	perform messaging_require_participant(p_user, p_conv);
	if p_limit is null or p_limit < 1 or p_limit > 100 then
		raise exception using errcode = 'MM400',
		    message = 'limit must be an integer from 1 to 100';
	end if;
	if p_before is not null then
		select m.created_at, m.id into v_ts, v_id
		  from messages m
		 where m.id = p_before and m.conversation_id = p_conv;
		if not found then
			raise exception using errcode = 'MM400',
			    message = 'before is not the id of a message in this conversation';
		end if;
	end if;
	select coalesce(json_agg(messaging_message_json(x.m)
		   order by x.created_at desc, x.id desc)
		   filter (where x.rn <= p_limit), '[]'::json),
	       max(x.id) filter (where x.rn = p_limit), count(*)
	  into v_docs, v_last, v_n
	  from (select m, m.id, m.created_at,
		       row_number() over (order by m.created_at desc,
		       m.id desc) as rn
		  from messages m
		 where m.conversation_id = p_conv
		   and m.deleted_at is null
		   and (m.created_at, m.id) < (v_ts, v_id)
		 order by m.created_at desc, m.id desc
		 limit p_limit + 1) x;
	return json_build_object('messages', v_docs,
	    'nextCursor', case when v_n > p_limit then v_last end);
end;
$$;

-- POST /api/messaging/conversations/:id/messages (§9.4).  Everything that
-- only reads (participant, blocks, reply, channels) runs before the
-- conversation row is locked; the lock is taken by the update of
-- last_message_at, and the message takes that timestamp as its created_at.
-- Concurrent sends to one conversation therefore commit in the order of
-- their created_at, last_message_at only moves forward and always equals
-- the newest message's created_at, and the lock is held for the insert and
-- the commit only.
create or replace function messaging_send(p_user text, p_conv text,
	p_content text, p_type text, p_reply text,
	out message json, out channels text)
language plpgsql
volatile
as $$
declare
	v_type  text;
	v_other text;
	v_at    timestamptz;
	v_msg   messages;
begin
	perform messaging_require_participant(p_user, p_conv);
	select c.type into v_type from conversations c where c.id = p_conv;
	if v_type = 'direct' then
		select p.user_id into v_other from conversation_participants p
		 where p.conversation_id = p_conv and p.user_id <> p_user
		 limit 1;
		if v_other is not null and messaging_blocked(p_user, v_other) then
			raise exception using errcode = 'MM403',
			    message = 'You cannot message this user';
		end if;
	end if;
	if p_reply is not null and not exists (select 1 from messages m
		 where m.id = p_reply and m.conversation_id = p_conv
		   and m.deleted_at is null) then
		raise exception using errcode = 'MM400',
		    message = 'replyToId is not a message of this conversation';
	end if;
	channels := messaging_channels(p_conv);
	-- clock_timestamp() is read once the row lock is ours (a waiting
	-- update re-evaluates it on the row the previous sender committed).
	update conversations
	   set last_message_at = greatest(last_message_at, clock_timestamp())
	 where id = p_conv
	returning last_message_at into v_at;
	insert into messages (conversation_id, sender_id, content,
	    content_type, reply_to_id, created_at)
	values (p_conv, p_user, p_content, p_type, p_reply, v_at)
	returning * into v_msg;
	message := messaging_message_json(v_msg);
end;
$$;

-- POST /api/messaging/conversations/:id/read (§9.5).
create or replace function messaging_read(p_user text, p_conv text)
returns json
language plpgsql
volatile
as $$
declare
	v_at timestamptz := clock_timestamp();
begin
	update conversation_participants
	   set last_read_at = v_at
	 where conversation_id = p_conv and user_id = p_user;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Conversation not found';
	end if;
	return json_build_object('success', true, 'lastReadAt', iso_ts(v_at));
end;
$$;

-- DELETE /api/messaging/messages/:id (§9.6).  Returns the conversation and
-- its channels when this call deleted the message (NULL when it already
-- was), so that the deletion is published once.
create or replace function messaging_delete(p_user text, p_msg text,
	out conversation_id text, out channels text)
language plpgsql
volatile
as $$
declare
	v_conv   text;
	v_sender text;
	v_del    timestamptz;
begin
	select m.conversation_id, m.sender_id, m.deleted_at
	  into v_conv, v_sender, v_del
	  from messages m where m.id = p_msg for update;
	if not found or not exists (select 1 from conversation_participants p
		 where p.conversation_id = v_conv and p.user_id = p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Message not found';
	end if;
	if v_sender <> p_user then
		raise exception using errcode = 'MM403',
		    message = 'Only the sender can delete a message';
	end if;
	if v_del is null then
		update messages set deleted_at = clock_timestamp()
		 where id = p_msg;
		conversation_id := v_conv;
		channels := messaging_channels(v_conv);
	end if;
end;
$$;

-- POST /api/messaging/block/:userId (§9.7).
create or replace function messaging_block(p_user text, p_target text)
returns json
language plpgsql
volatile
as $$
begin
	if not exists (select 1 from users u where u.id = p_target) then
		raise exception using errcode = 'MM404',
		    message = 'User not found';
	end if;
	if p_target = p_user then
		raise exception using errcode = 'MM400',
		    message = 'You cannot block yourself';
	end if;
	insert into user_blocks (blocker_id, blocked_id)
	values (p_user, p_target)
	on conflict do nothing;
	return json_build_object('success', true, 'blocked', true);
end;
$$;

-- DELETE /api/messaging/block/:userId (§9.7): idempotent.
create or replace function messaging_unblock(p_user text, p_target text)
returns json
language sql
volatile
as $$
	delete from user_blocks
	 where blocker_id = p_user and blocked_id = p_target;
	select json_build_object('success', true, 'unblocked', true);
$$;

-- POST /api/messaging/conversations/:id/attachments (§9.9).  The binary
-- stored the file (and thumbnail) under random names and passes the
-- automated moderation verdict: the attachment is created 'pending' and
-- then takes that verdict.  Same participant and block rules as a send.
drop function if exists messaging_attach(text, text, text, text, text,
	text, integer, text, text, text, text);
create or replace function messaging_attach(p_user text, p_conv text,
	p_content text, p_type text, p_file_name text, p_file_type text,
	p_file_size integer, p_path text, p_thumb text, p_verdict text,
	p_reason text, out message json, out channels text)
language plpgsql
volatile
as $$
declare
	v_msg messages;
	v_id  text;
	v_att text;
begin
	select s.channels, s.message->>'id' into channels, v_id
	  from messaging_send(p_user, p_conv, p_content, p_type, null) s;
	select m.* into v_msg from messages m where m.id = v_id;
	insert into message_attachments (message_id, file_name, file_type,
	    file_size, storage_path, thumbnail_path)
	values (v_msg.id, p_file_name, p_file_type, p_file_size, p_path,
	    p_thumb)
	returning id into v_att;
	update message_attachments
	   set moderation_status = p_verdict,
	       moderation_result = p_reason,
	       moderated_at = now()
	 where id = v_att;
	message := messaging_message_json(v_msg);
end;
$$;

-- GET /api/messaging/attachments/:id[/thumbnail] (§9.9): the stored file
-- name and type, for participants and approved attachments only.
create or replace function messaging_attachment_file(p_user text,
	p_att text, p_thumb boolean, out path text, out file_type text)
language plpgsql
stable
as $$
begin
	select case when p_thumb then a.thumbnail_path else a.storage_path end,
	       case when p_thumb then 'image/png' else a.file_type end
	  into path, file_type
	  from message_attachments a
	  join messages m on m.id = a.message_id
	  join conversation_participants p
	    on p.conversation_id = m.conversation_id and p.user_id = p_user
	 where a.id = p_att
	   and a.moderation_status = 'approved'
	   and m.deleted_at is null;
	if path is null then
		raise exception using errcode = 'MM404',
		    message = 'Attachment not found';
	end if;
end;
$$;

-- POST /api/admin/attachments/:id/moderation (§9.9): an admin's verdict.
create or replace function messaging_attachment_moderate(p_att text,
	p_status text, p_reason text)
returns json
language plpgsql
volatile
as $$
begin
	update message_attachments
	   set moderation_status = p_status,
	       moderation_result = coalesce(p_reason, 'admin'),
	       moderated_at = now()
	 where id = p_att;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Attachment not found';
	end if;
	return json_build_object('id', p_att, 'moderationStatus', p_status);
end;
$$;
