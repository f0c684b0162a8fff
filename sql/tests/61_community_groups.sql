-- Groups (API §7.7): roles, ownership transfer and the one-owner rule.

begin;
select plan(12);

insert into users (id, email, username, password_hash)
values ('user_pgtap61o', 'pgtap61o@test.invalid', 'pgtap61o', 'x'),
       ('user_pgtap61a', 'pgtap61a@test.invalid', 'pgtap61a', 'x'),
       ('user_pgtap61m', 'pgtap61m@test.invalid', 'pgtap61m', 'x');

create temp table t61 on commit drop as
select (group_create('user_pgtap61o', 'G61', null, null, '{"visibility":"private"}')::jsonb)->>'id' as id;

select is((select role from group_memberships where group_id = (select id from t61)
	    and user_id = 'user_pgtap61o'), 'owner', 'the creator is the owner');
select throws_ok($$select group_join((select id from t61), 'user_pgtap61a')$$, 'MM403', null,
	'a private group needs an invitation');
select lives_ok($$select group_invite((select id from t61), 'user_pgtap61o', 'user_pgtap61a')$$,
	'the owner invites');
select is((group_join((select id from t61), 'user_pgtap61a')::jsonb)->>'myRole', 'member',
	'the invited user joins');
select lives_ok($$select group_invite((select id from t61), 'user_pgtap61o', 'user_pgtap61m');
		  select group_join((select id from t61), 'user_pgtap61m')$$, 'another member');
select throws_ok($$select group_get((select id from t61), 'user_pgtap61x')$$, 'MM404', null,
	'non-members do not see a private group');
select throws_ok($$select group_set_role((select id from t61), 'user_pgtap61m', 'user_pgtap61a', 'moderator')$$,
	'MM403', null, 'members cannot change roles');
select is((group_set_role((select id from t61), 'user_pgtap61o', 'user_pgtap61a', 'owner')::jsonb)->>'role',
	'owner', 'ownership transfer');
select is((select array_agg(user_id || ':' || role order by user_id) from group_memberships
	    where group_id = (select id from t61) and role in ('owner', 'admin')),
	array['user_pgtap61a:owner', 'user_pgtap61o:admin'], 'the old owner became admin');
select is((select owner_id from groups where id = (select id from t61)), 'user_pgtap61a',
	'groups.owner_id follows');
select throws_ok($$select group_leave((select id from t61), 'user_pgtap61a')$$, 'MM409', null,
	'the owner cannot leave');
select throws_ok($$select group_remove_member((select id from t61), 'user_pgtap61o', 'user_pgtap61a')$$,
	'MM403', null, 'an admin cannot remove the owner');

select * from finish();
rollback;
