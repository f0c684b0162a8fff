-- Messaging attachments (API §9.9): served to participants only, approved only.

begin;
select plan(6);

insert into users (id, email, username, password_hash)
values ('user_pgtap71a', 'pgtap71a@test.invalid', 'pgtap71a', 'x'),
       ('user_pgtap71b', 'pgtap71b@test.invalid', 'pgtap71b', 'x'),
       ('user_pgtap71c', 'pgtap71c@test.invalid', 'pgtap71c', 'x');

create temp table c71 on commit drop as
select (doc::jsonb)->>'id' as id
  from messaging_create('user_pgtap71a', 'direct', '["user_pgtap71b"]', null);
create temp table a71 on commit drop as
select (message::jsonb)->'attachments'->0->>'id' as id, message::jsonb as m
  from messaging_attach('user_pgtap71a', (select id from c71), null, 'file', 'a.pdf',
	'application/pdf', 10, 'f71', null, 'rejected', 'automated');

select is((select m->'attachments'->0->>'moderationStatus' from a71), 'rejected',
	'the automated verdict is stored');
select throws_ok($$select messaging_attachment_file('user_pgtap71b', (select id from a71), false)$$,
	'MM404', null, 'a rejected attachment is not served');
select is((messaging_attachment_moderate((select id from a71), 'approved', null)::jsonb)->>'moderationStatus',
	'approved', 'an admin approves');
select is((select path from messaging_attachment_file('user_pgtap71b', (select id from a71), false)),
	'f71', 'approved: served to a participant');
select throws_ok($$select messaging_attachment_file('user_pgtap71c', (select id from a71), false)$$,
	'MM404', null, 'never to a non-participant');
select throws_ok($$select messaging_attachment_moderate('att_none71', 'approved', null)$$,
	'MM404', null, 'unknown attachment');

select * from finish();
rollback;
