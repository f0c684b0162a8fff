-- Messaging (API §9): direct find-or-create, blocks, send, cursor, delete.

begin;
select plan(16);

insert into users (id, email, username, password_hash)
values ('user_pgtap70a', 'pgtap70a@test.invalid', 'pgtap70a', 'x'),
       ('user_pgtap70b', 'pgtap70b@test.invalid', 'pgtap70b', 'x'),
       ('user_pgtap70c', 'pgtap70c@test.invalid', 'pgtap70c', 'x');

create temp table t70 on commit drop as
select * from messaging_create('user_pgtap70a', 'direct', '["user_pgtap70b"]', null);

select is((select status from t70), 201, 'a new direct conversation is 201');
select is((select s.status from messaging_create('user_pgtap70b', 'direct',
	'["user_pgtap70a"]', null) s), 200, 'the other side finds it: 200');
select is((select (s.doc::jsonb)->>'existing' from messaging_create('user_pgtap70b', 'direct',
	'["user_pgtap70a"]', null) s), 'true', 'existing is true');
select is((select count(*)::int from conversations where direct_key =
	'user_pgtap70a:user_pgtap70b'), 1, 'one conversation for the pair');
select throws_ok($$select messaging_create('user_pgtap70a', 'direct', '["user_nobody70"]', null)$$,
	'MM400', null, 'unknown participant');
select throws_ok($$select messaging_create('user_pgtap70a', 'group', '["user_pgtap70b"]', 'g')$$,
	'MM400', null, 'a group needs two others');

create temp table c70 on commit drop as select (doc::jsonb)->>'id' as id from t70;

select throws_ok($$select messaging_send('user_pgtap70c', (select id from c70), 'hi', 'text', null)$$,
	'MM404', null, 'non-participants cannot send');
select lives_ok($$select messaging_send('user_pgtap70a', (select id from c70), 'one', 'text', null)$$,
	'a participant sends');
select lives_ok($$select messaging_send('user_pgtap70b', (select id from c70), 'two', 'text', null)$$,
	'the other participant sends');
select ok((select c.last_message_at = (select max(created_at) from messages m
	where m.conversation_id = c.id) from conversations c where c.id = (select id from c70)),
	'last_message_at is the newest message');
select is((select (messaging_send('user_pgtap70a', (select id from c70), 'x', 'text', null)).channels),
	'messaging.u.user_pgtap70a,messaging.u.user_pgtap70b', 'channels of both participants');
select is((select json_array_length(messaging_messages('user_pgtap70b', (select id from c70),
	null, 2)->'messages')), 2, 'a page of two');
select throws_ok($$select messaging_messages('user_pgtap70c', (select id from c70), null, 50)$$,
	'MM404', null, 'non-participants cannot read');

insert into user_blocks (blocker_id, blocked_id) values ('user_pgtap70b', 'user_pgtap70a');
select throws_ok($$select messaging_send('user_pgtap70a', (select id from c70), 'hi', 'text', null)$$,
	'MM403', null, 'blocked by the other side');
select throws_ok($$select messaging_delete('user_pgtap70b',
	(select id from messages where content = 'one' and conversation_id = (select id from c70)))$$,
	'MM403', null, 'only the sender deletes');
select is((select (messaging_delete('user_pgtap70a', (select id from messages where content = 'one'
	and conversation_id = (select id from c70)))).channels is not null), true,
	'the sender deletes');

select * from finish();
rollback;
